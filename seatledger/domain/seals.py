"""Issued documents chained by hash and signed with a key the database never holds.

Each issued invoice gets a seal: its position in the ledger's chain, the
invoice's content hash, the chain hash of the seal before it, its own chain
hash (SHA-256 of all of these) and, when the ledger has a signing key, an
Ed25519 signature of the same message. A seal's chain hash commits to every
document before it, so one valid signature vouches for the whole chain up to
that point: a document deleted, altered or issued again anywhere before a
signed seal breaks the chain or the signature (decision 0037).

A checkpoint is a seal with no invoice: ``invoice seal`` appends one to sign
the chain of documents issued while no key was configured.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Final, Protocol

import attrs
from attrs import frozen

# The chain hash "before" the first seal.
GENESIS: Final = "0" * 64
VERSION: Final = "seatledger-seal-v1"


class Signer(Protocol):
    """Signs seal messages with a private key held outside the database."""

    @property
    def key_id(self) -> str:
        """A short fingerprint of the public key (stored with each signature)."""
        ...

    def sign(self, message: bytes) -> str:
        """The signature of ``message``, as text."""
        ...


class SignatureChecker(Protocol):
    """Checks signatures against public keys given from outside the database."""

    def knows(self, key_id: str) -> bool: ...

    def check(self, key_id: str, message: bytes, signature: str) -> bool: ...


@frozen
class Seal:
    """One link of the chain of issued documents."""

    position: int
    invoice: str | None
    content_hash: str
    previous: str
    chain_hash: str
    key_id: str | None = None
    signature: str | None = None

    @property
    def signed(self) -> bool:
        return self.signature is not None


def seal_message(position: int, invoice: str | None, content_hash: str, previous: str) -> bytes:
    """What a seal's chain hash is computed over and its signature signs (one line each)."""
    return "\n".join((VERSION, str(position), invoice or "", content_hash, previous)).encode()


def chain_hash(position: int, invoice: str | None, content_hash: str, previous: str) -> str:
    return hashlib.sha256(seal_message(position, invoice, content_hash, previous)).hexdigest()


def next_seal(
    last: Seal | None, invoice: str | None, content_hash: str, signer: Signer | None
) -> Seal:
    """The seal after ``last`` for a document (or, with ``invoice`` None, a checkpoint)."""
    position = 1 if last is None else last.position + 1
    previous = GENESIS if last is None else last.chain_hash
    message = seal_message(position, invoice, content_hash, previous)
    return Seal(
        position=position,
        invoice=invoice,
        content_hash=content_hash,
        previous=previous,
        chain_hash=hashlib.sha256(message).hexdigest(),
        key_id=None if signer is None else signer.key_id,
        signature=None if signer is None else signer.sign(message),
    )


def checkpoint_hash(last: Seal | None) -> str:
    """The content a checkpoint stands for: the chain hash it signs."""
    return GENESIS if last is None else last.chain_hash


@frozen
class ChainCheck:
    """What walking the chain found: problems per invoice (None: the chain itself)."""

    length: int
    head: str
    signed: int
    signatures_checked: bool
    problems: tuple[tuple[str | None, str], ...]
    # Per sealed invoice: signed, covered (by a later signed seal), unsigned or unchecked.
    status: Mapping[str, str] = attrs.field(factory=dict)

    def of(self, invoice: str) -> list[str]:
        return [p for i, p in self.problems if i == invoice]

    def general(self) -> list[str]:
        return [p for i, p in self.problems if i is None]


def _link_problems(
    seal: Seal, expected_previous: str, checker: SignatureChecker | None
) -> list[str]:
    found: list[str] = []
    if seal.previous != expected_previous:
        found.append(f"seal #{seal.position} does not follow the one before it: a seal was removed")
    if chain_hash(seal.position, seal.invoice, seal.content_hash, seal.previous) != (
        seal.chain_hash
    ):
        found.append(f"seal #{seal.position} does not hash to its chain hash: it was altered")
    if seal.signature is not None and checker is not None:
        if seal.key_id is None or not checker.knows(seal.key_id):
            found.append(f"seal #{seal.position} is signed by an unknown key {seal.key_id!r}")
        else:
            message = seal_message(seal.position, seal.invoice, seal.content_hash, seal.previous)
            if not checker.check(seal.key_id, message, seal.signature):
                found.append(f"seal #{seal.position}'s signature is not valid: it was forged")
    return found


def check_chain(
    seals: Sequence[Seal],
    stored_hashes: Mapping[str, str],
    checker: SignatureChecker | None,
) -> ChainCheck:
    """Walk the whole chain against the stored invoices' content hashes.

    Finds a seal removed (a gap, or a link that does not follow), altered (its
    hash), forged (its signature), an invoice deleted (a seal without its
    invoice), altered (content hash differs from the seal's), issued again or
    slipped in (an invoice without a seal). With a checker (the verifier holds
    a public key), a seal is also refused if no signed seal at or after it
    vouches for it, so stripping signatures is detected too.
    """
    problems: list[tuple[str | None, str]] = []
    previous = GENESIS
    sealed: set[str] = set()
    for index, seal in enumerate(sorted(seals, key=lambda s: s.position), start=1):
        who = seal.invoice
        if seal.position != index:
            problems.append((None, f"the chain jumps from seal #{index - 1} to #{seal.position}"))
        problems += [(who, p) for p in _link_problems(seal, previous, checker)]
        previous = seal.chain_hash
        if seal.invoice is None:
            continue
        if seal.invoice in sealed:
            problems.append((who, f"{seal.invoice} is sealed twice: it was issued again"))
        sealed.add(seal.invoice)
        stored = stored_hashes.get(seal.invoice)
        if stored is None:
            problems.append((None, f"{seal.invoice} (seal #{seal.position}) was deleted"))
        elif stored != seal.content_hash:
            problems.append(
                (who, f"the content hash differs from the one sealed at #{seal.position}")
            )
    for invoice in sorted(set(stored_hashes) - sealed):
        problems.append((invoice, "no seal: it was not issued by a billing run"))
    ordered = sorted(seals, key=lambda s: s.position)
    signed = [s for s in ordered if s.signed]
    last_signed = signed[-1].position if signed else 0
    status = {
        s.invoice: "unchecked"
        if checker is None
        else "signed"
        if s.signed
        else "covered"
        if s.position < last_signed
        else "unsigned"
        for s in ordered
        if s.invoice is not None
    }
    if checker is not None:
        # Given a key, the verifier expects the chain signed: a seal after the last signed one
        # (all, if none is) is vouched for by nobody ('invoice seal' signs a checkpoint).
        for seal in ordered:
            if seal.position > last_signed:
                problems.append(
                    (seal.invoice, f"seal #{seal.position} is not covered by any signature")
                )
    return ChainCheck(
        length=len(ordered),
        head=previous,
        signed=len(signed),
        signatures_checked=checker is not None,
        problems=tuple(problems),
        status=status,
    )
