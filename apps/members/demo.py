"""Demo members: about two hundred people of a coastal credit union, always the same ones.

Profiles come from a seeded random generator, so every run (and every machine) produces the
same names, phone numbers and Ghana Card numbers. A member is registered through the member
services like a real one: a cashier registers them, an operations manager (a different person)
verifies KYC, and a manager-level user assigns some of them to a mobile banker. A profile is
recognised on a later run by the blind index of its Ghana Card number, so nothing is doubled.
"""

import random
from dataclasses import dataclass, field
from datetime import date

from apps.core.crypto import blind_index

from .models import Member, normalise_ghana_card
from .services import member_assign, member_kyc_reject, member_kyc_verify, member_link_user, member_register

DEMO_SEED = 2026
DEMO_MEMBER_COUNT = 200

MALE_NAMES = [
    "Kwame", "Kofi", "Kwabena", "Kwaku", "Yaw", "Kwasi", "Kojo", "Ebo", "Fiifi", "Kweku", "Nii", "Nana",
    "Emmanuel", "Samuel", "Isaac", "Daniel", "Joseph", "Michael", "Eric", "Prince", "Richmond", "Ebenezer",
    "Francis", "Godfred", "Stephen", "Paul", "Bismark", "Collins", "Augustine", "Elvis", "Ibrahim", "Abdul",
    "Mohammed", "Yakubu", "Selorm", "Edem", "Elikem", "Mawuli", "Kafui", "Senyo",
]
FEMALE_NAMES = [
    "Ama", "Akosua", "Adwoa", "Abena", "Akua", "Yaa", "Afua", "Esi", "Efua", "Araba", "Aba", "Naa", "Adjoa",
    "Comfort", "Grace", "Mercy", "Patience", "Gifty", "Abigail", "Joyce", "Felicia", "Beatrice", "Vida",
    "Dorcas", "Rita", "Priscilla", "Cynthia", "Linda", "Hannah", "Rebecca", "Agnes", "Victoria", "Mavis",
    "Rukaya", "Fatima", "Zainab", "Hawa", "Dzifa", "Enyonam", "Sena", "Akpene", "Esinam",
]
SURNAMES = [
    "Mensah", "Owusu", "Boateng", "Asante", "Osei", "Addo", "Appiah", "Amoah", "Agyeman", "Quaye", "Tetteh",
    "Lamptey", "Ofori", "Darko", "Frimpong", "Acheampong", "Badu", "Ansah", "Sarpong", "Yeboah", "Gyamfi",
    "Danso", "Adjei", "Bonsu", "Annan", "Quartey", "Aryee", "Nartey", "Kpodo", "Agbeko", "Dzeble", "Mahama",
    "Abubakar", "Alhassan", "Fuseini", "Essien", "Eshun", "Arthur", "Aidoo", "Baidoo", "Quansah", "Ackon",
    "Mensah-Bonsu", "Amissah", "Ghartey", "Sackey", "Bentil", "Hagan", "Prempeh", "Nkrumah", "Kuffour",
    "Ocran", "Anan", "Forson", "Blankson", "Yankson", "Turkson", "Kwofie", "Otoo", "Abaka",
]
# (occupation, weight): a coastal town's members
OCCUPATIONS = [
    ("Trader", 22), ("Fish monger", 12), ("Fisherman", 12), ("Seamstress", 7), ("Tailor", 4), ("Driver", 7),
    ("Teacher", 6), ("Hairdresser", 5), ("Carpenter", 3), ("Mason", 3), ("Farmer", 5), ("Mechanic", 3),
    ("Kenkey seller", 3), ("Nurse", 2), ("Boat builder", 1), ("Net mender", 2), ("Shop keeper", 4),
    ("Caterer", 2), ("Electrician", 2), ("Civil servant", 2),
]
TOWNS = [
    ("Elmina", "Central"), ("Cape Coast", "Central"), ("Moree", "Central"), ("Anomabo", "Central"),
    ("Saltpond", "Central"), ("Apam", "Central"), ("Winneba", "Central"), ("Senya Beraku", "Central"),
    ("Komenda", "Central"), ("Shama", "Western"), ("Sekondi", "Western"), ("Takoradi", "Western"),
    ("Axim", "Western"), ("Jamestown, Accra", "Greater Accra"), ("Chorkor, Accra", "Greater Accra"),
    ("Teshie", "Greater Accra"), ("Nungua", "Greater Accra"), ("Tema New Town", "Greater Accra"),
]
STREETS = ["Market Street", "Lagoon Road", "Fort Road", "Beach Road", "Chapel Street", "Station Road",
           "Harbour Road", "Palace Street", "School Lane", "Kotokuraba Road", "Liberation Road", "Zongo Lane"]
MOSTLY_MEN = {"Fisherman", "Boat builder", "Net mender", "Mechanic", "Driver", "Mason", "Carpenter", "Electrician"}
MOSTLY_WOMEN = {"Fish monger", "Seamstress", "Kenkey seller", "Hairdresser"}
PHONE_PREFIXES = ["024", "024", "054", "055", "059", "020", "050", "027", "057", "026", "053"]
KIN_RELATIONSHIPS = ["Spouse", "Spouse", "Mother", "Father", "Sister", "Brother", "Son", "Daughter", "Cousin"]


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


def _phone(rng: random.Random) -> str:
    return f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(10**7):07d}"


def _weighted(rng: random.Random, choices):
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def member_profiles(count: int = DEMO_MEMBER_COUNT, *, seed: int = DEMO_SEED) -> list[MemberProfile]:
    """`count` deterministic profiles: about nine in ten end KYC verified, a few pending, a couple rejected."""
    rng = random.Random(f"coastal-members:{seed}")
    used_cards: set[str] = set()
    profiles = []
    for i in range(count):
        occupation = _weighted(rng, OCCUPATIONS)
        if occupation in MOSTLY_MEN:
            female = rng.random() < 0.05
        elif occupation in MOSTLY_WOMEN:
            female = rng.random() < 0.95
        else:
            female = rng.random() < 0.5
        names = FEMALE_NAMES if female else MALE_NAMES
        first, last = rng.choice(names), rng.choice(SURNAMES)
        other = rng.choice(names) if rng.random() < 0.3 else ""
        if other == first:
            other = ""
        town, region = rng.choice(TOWNS)
        while True:
            card = f"GHA-{rng.randrange(10**8, 10**9)}-{rng.randrange(10)}"
            if card not in used_cards:
                used_cards.add(card)
                break
        age = rng.randint(19, 68)
        born = date(2026 - age, rng.randint(1, 12), rng.randint(1, 28))
        kin_relationship = rng.choice(KIN_RELATIONSHIPS)
        kin_first = rng.choice(MALE_NAMES if kin_relationship in ("Father", "Brother", "Son") else FEMALE_NAMES)
        fields = {
            "first_name": first,
            "last_name": last,
            "other_names": other,
            "date_of_birth": born,
            "phone": _phone(rng),
            "email": f"{first}.{last}{i + 1}@example.com".lower().replace(" ", "") if rng.random() < 0.2 else "",
            "address": f"House {rng.randint(1, 140)}, {rng.choice(STREETS)}, {town}, {region} Region",
            "occupation": occupation,
            "next_of_kin_name": f"{kin_first} {last if kin_relationship != 'Spouse' else rng.choice(SURNAMES)}",
            "next_of_kin_phone": _phone(rng),
            "next_of_kin_relationship": kin_relationship,
            "national_id": card,
        }
        roll = rng.random()
        if roll < 0.015:
            profile = MemberProfile(fields, kyc=Member.Kyc.REJECTED,
                                    kyc_note="The Ghana Card photo does not match the applicant; ask them to "
                                             "come in with the original card.")
        elif roll < 0.07:
            profile = MemberProfile(fields, kyc=Member.Kyc.PENDING)
        else:
            profile = MemberProfile(fields, kyc=Member.Kyc.VERIFIED,
                                    kyc_note=rng.choice(["Ghana Card checked against the original.",
                                                         "Card verified; photo and signature on file.", ""]))
        profiles.append(profile)
    return profiles


def customer_profile() -> MemberProfile:
    """The member behind the demo portal login customer@example.com (Kwame Appiah)."""
    return MemberProfile({
        "first_name": "Kwame",
        "last_name": "Appiah",
        "other_names": "Ofori",
        "date_of_birth": date(1988, 3, 14),
        "phone": "0244123456",
        "email": "customer@example.com",
        "address": "House 12, Kotokuraba Road, Cape Coast, Central Region",
        "occupation": "Trader",
        "next_of_kin_name": "Akua Appiah",
        "next_of_kin_phone": "0554987321",
        "next_of_kin_relationship": "Spouse",
        "national_id": "GHA-718204935-2",
    }, kyc=Member.Kyc.VERIFIED, kyc_note="Ghana Card checked against the original.")


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
