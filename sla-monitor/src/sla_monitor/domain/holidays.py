"""The public holidays a year brings, from the maintained `holidays` package. Pure (its tables
ship with the package)."""

from __future__ import annotations

from datetime import date

import holidays


class UnknownCountry(ValueError):
    pass


def public_holidays(country: str, year: int, subdivision: str | None = None) -> list[date]:
    """A year's public holidays of a country (and region), e.g. DE and BY for Bavaria."""
    try:
        found = holidays.country_holidays(country.upper(), subdiv=subdivision, years=year)
    except NotImplementedError as error:  # how `holidays` says it has no such country or region
        raise UnknownCountry(str(error)) from error
    return sorted(found)
