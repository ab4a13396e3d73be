"""The marketing channel of a touch, derived from its medium, source, click ids and referrer.

The table, first match wins (medium and source compared in lower case):

| channel        | when                                                                                   |
|----------------|----------------------------------------------------------------------------------------|
| paid_search    | gclid or msclkid; or medium cpc, ppc, paid_search, paidsearch, sem                     |
| paid_social    | fbclid or li_fat_id with a paid medium; or medium paid_social, paidsocial, social_paid,|
|                | social-paid, cpm on a social source                                                    |
| display        | medium display, banner, cpm, programmatic                                              |
| email          | medium email, e-mail, newsletter                                                       |
| affiliate      | medium affiliate                                                                       |
| partner        | medium partner, partnership, co-marketing                                              |
| events         | medium event, events, webinar, conference, trade_show, tradeshow                       |
| organic_social | medium social, organic_social; or a social source (or referrer) with no medium          |
| organic_search | medium organic; or a search engine source (or referrer) with no medium                  |
| referral       | medium referral; or a referrer from another site with no medium                        |
| direct         | no source, no medium, no referrer, no click id                                        |
| other          | anything else                                                                          |
"""

from __future__ import annotations

from urllib.parse import urlsplit

SEARCH_ENGINES = ("google", "bing", "yahoo", "duckduckgo", "baidu", "yandex", "ecosia", "brave")
SOCIAL_NETWORKS = (
    "facebook",
    "instagram",
    "linkedin",
    "twitter",
    "x.com",
    "t.co",
    "tiktok",
    "youtube",
    "reddit",
    "pinterest",
    "meta",
    "fb",
    "ig",
)
PAID_SEARCH = {"cpc", "ppc", "paid_search", "paidsearch", "sem"}
PAID_SOCIAL = {"paid_social", "paidsocial", "social_paid", "social-paid"}
DISPLAY = {"display", "banner", "cpm", "programmatic"}
EMAIL = {"email", "e-mail", "newsletter"}
PARTNER = {"partner", "partnership", "co-marketing"}
EVENTS = {"event", "events", "webinar", "conference", "trade_show", "tradeshow"}


def _host(url: str | None) -> str:
    if not url:
        return ""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _is(name: str, known: tuple[str, ...]) -> bool:
    return any(k == name or name.startswith(k + ".") or f".{k}." in f".{name}." for k in known)


def derive_channel(
    *,
    source: str | None,
    medium: str | None,
    gclid: str | None = None,
    fbclid: str | None = None,
    msclkid: str | None = None,
    li_fat_id: str | None = None,
    referrer: str | None = None,
    own_host: str | None = None,
) -> str:
    medium_ = (medium or "").strip().lower()
    source_ = (source or "").strip().lower()
    referrer_host = _host(referrer)
    if referrer_host and own_host and referrer_host.endswith(own_host.lower()):
        referrer_host = ""  # a click inside our own site says nothing about where the visit began
    social_source = _is(source_, SOCIAL_NETWORKS) or _is(referrer_host, SOCIAL_NETWORKS)
    if gclid or msclkid or medium_ in PAID_SEARCH:
        return "paid_search"
    if medium_ in PAID_SOCIAL or (medium_ == "cpm" and social_source):
        return "paid_social"
    if (fbclid or li_fat_id) and medium_ in {"paid", "cpc", "cpm", "ppc"}:
        return "paid_social"
    if medium_ in DISPLAY:
        return "display"
    if medium_ in EMAIL:
        return "email"
    if medium_ == "affiliate":
        return "affiliate"
    if medium_ in PARTNER:
        return "partner"
    if medium_ in EVENTS:
        return "events"
    if medium_ in {"social", "organic_social"} or (not medium_ and social_source):
        return "organic_social"
    if medium_ == "organic" or (
        not medium_ and (_is(source_, SEARCH_ENGINES) or _is(referrer_host, SEARCH_ENGINES))
    ):
        return "organic_search"
    if medium_ == "referral" or (not medium_ and referrer_host):
        return "referral"
    if not (medium_ or source_ or referrer_host or fbclid or li_fat_id):
        return "direct"
    return "other"
