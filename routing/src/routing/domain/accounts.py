"""Lead-to-account matching: by the company's email domain first, then by the company's name with
case, punctuation, accents and legal suffixes (Inc, LLC, GmbH, Ltd…) set aside. Pure."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from routing.domain.roster import Rep

# Legal forms stripped from the end of a name, as words after punctuation is gone; several may
# stack ("GmbH & Co. KG"), so stripping repeats until none is left.
LEGAL_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "llc",
        "llp",
        "lp",
        "ltd",
        "limited",
        "plc",
        "corp",
        "corporation",
        "co",
        "company",
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "ug",
        "se",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "oy",
        "oyj",
        "ab",
        "as",
        "asa",
        "aps",
        "pty",
        "pte",
        "kk",
        "sl",
        "sau",
        "and",
    }
)
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalize_company_name(name: str) -> str:
    """'ACME, Inc.' → 'acme'; 'Müller GmbH & Co. KG' → 'muller'; 'The Acme Co' → 'the acme'."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    folded = folded.replace("&", " and ")
    # "L.L.C." and "S.A." lose their dots first, so they read as one word
    folded = re.sub(r"\b([a-z])\.(?=[a-z]\.)", r"\1", folded)
    folded = re.sub(r"\b([a-z])\.", r"\1", folded)
    words = [word for word in _NOT_WORD.split(folded) if word]
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


def normalize_domain(text: str) -> str:
    """'https://www.Acme.com/about' or 'sales@acme.com' → 'acme.com'."""
    domain = text.strip().lower()
    domain = domain.rsplit("@", 1)[-1]
    domain = re.sub(r"^[a-z]+://", "", domain).split("/", 1)[0].split(":", 1)[0]
    return domain.removeprefix("www.").strip(".")


def parent_domains(domain: str) -> list[str]:
    """'eu.sales.acme.com' → ['eu.sales.acme.com', 'sales.acme.com', 'acme.com']: a subsidiary's
    mail domain still finds the parent account."""
    parts = normalize_domain(domain).split(".")
    return [".".join(parts[i:]) for i in range(len(parts) - 1)]


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    owner: str | None = None
    domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountMatch:
    account: Account
    matched_by: str  # "domain acme.com" or "name 'acme'"

    @property
    def how(self) -> str:
        """How it matched, without the lead's domain or company name (which the reason on
        lead.qualified, a topic kept forever, may not carry)."""
        return "by domain" if self.matched_by.startswith("domain") else "by company name"


@dataclass
class AccountIndex:
    """Accounts by domain and by normalized name, for matching a batch of leads in memory."""

    by_domain: dict[str, Account] = field(default_factory=dict)
    by_name: dict[str, Account] = field(default_factory=dict)

    @classmethod
    def of(cls, accounts: Iterable[Account]) -> AccountIndex:
        index = cls()
        for account in sorted(accounts, key=lambda a: a.id):  # the lowest id wins a shared name
            for domain in account.domains:
                index.by_domain.setdefault(normalize_domain(domain), account)
            index.by_name.setdefault(normalize_company_name(account.name), account)
        return index

    def match(self, *, company_domain: str | None, company: str | None) -> AccountMatch | None:
        if company_domain:
            for domain in parent_domains(company_domain):
                if domain in self.by_domain:
                    return AccountMatch(self.by_domain[domain], f"domain {domain}")
        if company:
            name = normalize_company_name(company)
            if name and name in self.by_name:
                return AccountMatch(self.by_name[name], f"company name '{name}'")
        return None


def account_problems(
    accounts: Sequence[tuple[str, str | None, Sequence[str]]], reps: Mapping[str, Rep] | None
) -> list[tuple[int, str, str]]:
    """(index, field, message) for owners not on the roster and ids or domains given twice."""
    problems: list[tuple[int, str, str]] = []
    ids: dict[str, int] = {}
    domains: dict[str, int] = {}
    for index, (account_id, owner, owned_domains) in enumerate(accounts):
        if account_id in ids:
            problems.append((index, "id", f"{account_id!r} is also accounts[{ids[account_id]}]"))
        ids.setdefault(account_id, index)
        for domain in owned_domains:
            if domain in domains and domains[domain] != index:
                problems.append((index, "domains", f"{domain} is also accounts[{domains[domain]}]'s"))
            domains.setdefault(domain, index)
        if reps is not None and owner and (owner not in reps or reps[owner].deleted):
            problems.append((index, "owner", f"unknown rep {owner!r}"))
    return problems
