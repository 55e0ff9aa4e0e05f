"""Demo members: about two hundred people of a coastal credit union, always the same ones.

Profiles are drawn from the lists in fixtures/demo/people.json by a seeded random generator, so
every run (and every machine) produces the same names, phone numbers and Ghana Card numbers. A
member is registered through the member services like a real one: a cashier registers them, an
operations manager (a different person) verifies KYC, and a manager-level user assigns some of
them to a mobile banker. A profile is recognised on a later run by the blind index of its Ghana
Card number, so nothing is doubled.
"""

import random
from dataclasses import dataclass, field
from datetime import date

from apps.core.crypto import blind_index
from apps.members.models import Member, normalise_ghana_card
from apps.members.services import (
    member_assign,
    member_kyc_reject,
    member_kyc_verify,
    member_link_user,
    member_register,
)

from .data import load

WORLD = load("bank")["world"]
DEMO_SEED = WORLD["random_seed"]
DEMO_MEMBER_COUNT = WORLD["members"]


@dataclass
class MemberProfile:
    """One demo member: the fields the registration service takes, and how their KYC ends."""

    fields: dict
    kyc: str = Member.Kyc.VERIFIED  # verified, pending or rejected
    kyc_note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def national_id(self) -> str:
        return self.fields["national_id"]

    @property
    def name(self) -> str:
        return f"{self.fields['first_name']} {self.fields['last_name']}"


def _phone(rng: random.Random, prefixes: list[str]) -> str:
    return f"{rng.choice(prefixes)}{rng.randrange(10**7):07d}"


def _weighted(rng: random.Random, choices):
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def member_profiles(count: int = DEMO_MEMBER_COUNT, *, seed: int = DEMO_SEED) -> list[MemberProfile]:
    """`count` deterministic profiles: about nine in ten end KYC verified, a few pending, a couple rejected."""
    people = load("people")
    male, female_names, surnames = people["male_names"], people["female_names"], people["surnames"]
    mostly_men, mostly_women = set(people["mostly_men"]), set(people["mostly_women"])
    prefixes, kin_relationships = people["phone_prefixes"], people["kin_relationships"]
    rng = random.Random(f"coastal-members:{seed}")
    used_cards: set[str] = set()
    profiles = []
    for i in range(count):
        occupation = _weighted(rng, people["occupations"])
        if occupation in mostly_men:
            female = rng.random() < 0.05
        elif occupation in mostly_women:
            female = rng.random() < 0.95
        else:
            female = rng.random() < 0.5
        names = female_names if female else male
        first, last = rng.choice(names), rng.choice(surnames)
        other = rng.choice(names) if rng.random() < 0.3 else ""
        if other == first:
            other = ""
        town, region = rng.choice(people["towns"])
        while True:
            card = f"GHA-{rng.randrange(10**8, 10**9)}-{rng.randrange(10)}"
            if card not in used_cards:
                used_cards.add(card)
                break
        age = rng.randint(19, 68)
        born = date(2026 - age, rng.randint(1, 12), rng.randint(1, 28))
        kin_relationship = rng.choice(kin_relationships)
        kin_first = rng.choice(male if kin_relationship in ("Father", "Brother", "Son") else female_names)
        fields = {
            "first_name": first,
            "last_name": last,
            "other_names": other,
            "date_of_birth": born,
            "phone": _phone(rng, prefixes),
            "email": f"{first}.{last}{i + 1}@example.com".lower().replace(" ", "") if rng.random() < 0.2 else "",
            "address": f"House {rng.randint(1, 140)}, {rng.choice(people['streets'])}, {town}, {region} Region",
            "occupation": occupation,
            "next_of_kin_name": f"{kin_first} {last if kin_relationship != 'Spouse' else rng.choice(surnames)}",
            "next_of_kin_phone": _phone(rng, prefixes),
            "next_of_kin_relationship": kin_relationship,
            "national_id": card,
        }
        roll = rng.random()
        if roll < 0.015:
            profile = MemberProfile(fields, kyc=Member.Kyc.REJECTED, kyc_note=people["kyc"]["rejected_note"])
        elif roll < 0.07:
            profile = MemberProfile(fields, kyc=Member.Kyc.PENDING)
        else:
            profile = MemberProfile(fields, kyc=Member.Kyc.VERIFIED,
                                    kyc_note=rng.choice(people["kyc"]["verified_notes"]))
        profiles.append(profile)
    return profiles


def customer_profile() -> MemberProfile:
    """The member behind the demo portal login customer@example.com (Kwame Appiah)."""
    fields = dict(load("people")["customer"])
    note = fields.pop("kyc_note")
    fields["date_of_birth"] = date.fromisoformat(fields["date_of_birth"])
    return MemberProfile(fields, kyc=Member.Kyc.VERIFIED, kyc_note=note)


def existing_members(profiles: list[MemberProfile]) -> dict[str, Member]:
    """The members already registered for these profiles, by Ghana Card number."""
    by_index = {blind_index(normalise_ghana_card(p.national_id)): p.national_id for p in profiles}
    found = Member.objects.filter(national_id_index__in=list(by_index))
    return {by_index[member.national_id_index]: member for member in found}


def register_profile(profile: MemberProfile, *, registrar, reviewer) -> Member:
    """Register one demo member (registrar) and review their KYC (reviewer, a different person)."""
    member = member_register(actor=registrar, **profile.fields)
    if profile.kyc == Member.Kyc.VERIFIED:
        member = member_kyc_verify(actor=reviewer, member=member, note=profile.kyc_note)
    elif profile.kyc == Member.Kyc.REJECTED:
        member = member_kyc_reject(actor=reviewer, member=member, reason=profile.kyc_note)
    return member


def assign_to_banker(member: Member, *, banker, assigner) -> Member:
    if member.assigned_banker_id == banker.pk:
        return member
    return member_assign(actor=assigner, member=member, banker=banker)


def link_customer(member: Member, *, user, actor) -> Member:
    if member.user_id == user.pk:
        return member
    return member_link_user(actor=actor, member=member, user=user)
