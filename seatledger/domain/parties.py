"""The parties of an invoice document: the seller (the vendor) and each buyer (an organisation).

Their fields are checked when they are set, so a document issued later never
carries a malformed one: a VAT identification number by its country's format
and check digits (python-stdnum), a country by ISO 3166-1, an IBAN by its
check digits, a Peppol electronic address by the EAS scheme list that
Peppol BIS 3.0 accepts (and the check digits of the schemes that have them).
An issued document freezes both parties as they were (``documents.Parties``).
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import stdnum
from attrs import frozen
from returns.result import Failure, Result, Success
from stdnum import iban as iban_number
from stdnum.exceptions import ValidationError

from seatledger.domain.errors import InvalidPartyField, InvalidVatId, LedgerError
from seatledger.domain.identifiers import valid_text

# ISO 3166-1 alpha-2, as the EN 16931 rules accept them (BR-CL-14; 1A is Kosovo, XI Northern
# Ireland).
_COUNTRIES_TEXT = """
1A AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO
DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU
GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW
KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU
MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XI YE YT
ZA ZM ZW
"""
COUNTRIES = frozenset(_COUNTRIES_TEXT.split())

# The member states of the EU: a sale between two of them, to a buyer with a VAT id, is
# reverse charged.
_EU_TEXT = """
AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK
"""
EU = frozenset(_EU_TEXT.split())

# The CEF EAS code list: the electronic address schemes Peppol accepts (BR-CL-25).
_EAS_SCHEMES_TEXT = """
0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0147 0151 0154 0158 0170 0177
0183 0184 0188 0190 0191 0192 0193 0194 0195 0196 0198 0199 0200 0201 0202 0203 0204 0205
0208 0209 0210 0211 0212 0213 0215 0216 0217 0218 0219 0220 0221 0225 0230 0235 0240 0244
0242 0245 0246 0248 9910 9913 9914 9915 9918 9919 9920 9922 9923 9924 9925 9926 9927 9928
9929 9930 9931 9932 9933 9934 9935 9936 9937 9938 9939 9940 9941 9942 9943 9944 9945 9946
9947 9948 9949 9950 9951 9952 9953 9957 9959 AN AQ AS AU EM
"""
EAS_SCHEMES = frozenset(_EAS_SCHEMES_TEXT.split())

# Electronic address schemes whose identifiers carry check digits: (country, number kind).
_CHECKED_SCHEMES: Mapping[str, tuple[str, str]] = {
    "0208": ("be", "vat"),  # Belgian enterprise number (KBO/BCE)
    "9925": ("be", "vat"),  # Belgian VAT number
    "9944": ("nl", "vat"),  # Dutch VAT number
    "0106": ("nl", "kvk"),  # Dutch chamber of commerce number
    "0184": ("dk", "cvr"),  # Danish CVR
    "0192": ("no", "orgnr"),  # Norwegian organisation number
}

# A VAT id's prefix is its country, but for Greece (EL).
_VAT_PREFIX_COUNTRY = {"EL": "GR"}

DEFAULT_PAYMENT_DAYS = 30


def _rule(module: object, country: str) -> str:
    """The country's rule for its numbers, in a line: python-stdnum's description of it."""
    text = getattr(module, "__doc__", None) or ""
    parts = [" ".join(p.split()) for p in text.strip().split("\n\n")[:2]]
    return f"{country}: " + " ".join(p for p in parts if p)


def valid_vat_id(text: str) -> Result[str, InvalidVatId]:
    """A VAT identification number with its country prefix, in compact form.

    Checked by python-stdnum: the prefix names a country it knows, and the
    number has that country's format and check digits. A refusal names the
    country's rule.
    """
    compact = "".join(text.split()).upper().replace(".", "").replace("-", "")
    prefix = compact[:2]
    if len(compact) < 4 or not prefix.isalpha():
        return Failure(
            InvalidVatId(
                text,
                "a VAT id starts with its two-letter country prefix (BE0123456749, NL000099998B57)",
                "no country prefix",
            )
        )
    country = _VAT_PREFIX_COUNTRY.get(prefix, prefix)
    module = stdnum.get_cc_module(country.lower(), "vat")
    if module is None:
        return Failure(
            InvalidVatId(
                text, f"{prefix}: no VAT number rule is known for this country", "unknown prefix"
            )
        )
    number = compact[2:] if country != "CH" else compact
    try:
        module.validate(number)
    except ValidationError as error:
        return Failure(InvalidVatId(text, _rule(module, prefix), str(error)))
    return Success(compact)


def valid_country(text: str, field: str = "country") -> Result[str, InvalidPartyField]:
    code = text.strip().upper()
    if code not in COUNTRIES:
        return Failure(
            InvalidPartyField(field, text, "expected an ISO 3166-1 alpha-2 country code (BE, NL)")
        )
    return Success(code)


def valid_iban(text: str) -> Result[str, InvalidPartyField]:
    try:
        return Success(str(iban_number.validate(text)))
    except ValidationError as error:
        return Failure(InvalidPartyField("IBAN", text, str(error)))


def valid_peppol_id(text: str) -> Result[str, InvalidPartyField]:
    """A Peppol electronic address ``SCHEME:ID``: an EAS scheme, and an id valid for it."""
    scheme, sep, identifier = text.strip().partition(":")
    if not sep or not identifier.strip():
        return Failure(
            InvalidPartyField("Peppol id", text, "expected SCHEME:ID, e.g. 0208:0123456749")
        )
    if scheme not in EAS_SCHEMES:
        return Failure(
            InvalidPartyField(
                "Peppol id",
                text,
                f"{scheme!r} is not a scheme of the EAS code list (e.g. 0208, 9944)",
            )
        )
    identifier = identifier.strip()
    checked = _CHECKED_SCHEMES.get(scheme)
    if checked is not None:
        module = stdnum.get_cc_module(*checked)
        if module is not None:
            try:
                module.validate(identifier)
            except ValidationError as error:
                return Failure(
                    InvalidPartyField("Peppol id", text, f"{_rule(module, scheme)}; {error}")
                )
    return Success(f"{scheme}:{identifier}")


def _optional_text(field: str, value: str | None) -> Result[str | None, LedgerError]:
    if value is None:
        return Success(None)
    checked = valid_text(field, value)
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    return Success(checked.unwrap())


@frozen
class PartyDetails:
    """What an invoice says of a party: legal name, VAT id, postal address, Peppol address."""

    legal_name: str | None = None
    vat_id: str | None = None
    address: str | None = None
    city: str | None = None
    postcode: str | None = None
    country: str | None = None
    peppol_id: str | None = None


@frozen
class BuyerDetails:
    """An organisation's details as a buyer; ``buyer_reference`` is its PO number or reference,
    ``sepa_mandate`` the reference of the SEPA direct debit mandate it signed."""

    party: PartyDetails = attrs.field(factory=PartyDetails)
    buyer_reference: str | None = None
    sepa_mandate: str | None = None


@frozen
class Seller:
    """The vendor: the seller on every document, its bank account, series and terms.

    ``invoice_series`` prefixes the legal numbers (``""``: numbers are
    ``2025-000123``); ``payment_days`` sets the due date after the issue date.
    """

    party: PartyDetails
    iban: str | None = None
    invoice_series: str = ""
    payment_days: int = DEFAULT_PAYMENT_DAYS

    @property
    def name(self) -> str:
        return self.party.legal_name or ""


def checked_party(
    current: PartyDetails, changes: Mapping[str, str | None]
) -> Result[PartyDetails, LedgerError]:
    """``current`` with ``changes`` (field -> new text; None: unchanged), each field checked."""
    updated: dict[str, str | None] = {}
    for field, value in changes.items():
        if value is None:
            continue
        result: Result[str, LedgerError] | Result[str | None, LedgerError]
        if field == "vat_id":
            result = valid_vat_id(value)
        elif field == "country":
            result = valid_country(value)
        elif field == "peppol_id":
            result = valid_peppol_id(value)
        else:
            result = _optional_text(field.replace("_", " "), value)
        if isinstance(result, Failure):
            return Failure(result.failure())
        updated[field] = result.unwrap()
    return Success(attrs.evolve(current, **updated))


def valid_series(text: str) -> Result[str, InvalidPartyField]:
    """An invoice series prefix: up to 16 letters, digits or '-' (may be empty)."""
    series = text.strip()
    if len(series) > 16 or not all(c.isascii() and (c.isalnum() or c == "-") for c in series):
        return Failure(
            InvalidPartyField(
                "invoice series", text, "up to 16 ASCII letters, digits or '-' (e.g. SL)"
            )
        )
    return Success(series.strip("-"))


def valid_payment_days(days: int) -> Result[int, InvalidPartyField]:
    if not 0 <= days <= 365:
        return Failure(
            InvalidPartyField("payment days", str(days), "between 0 and 365 days after issue")
        )
    return Success(days)


def vat_id_country(vat_id: str | None) -> str | None:
    """The country of a (checked) VAT id: its prefix, EL read as GR."""
    if vat_id is None:
        return None
    return _VAT_PREFIX_COUNTRY.get(vat_id[:2], vat_id[:2])
