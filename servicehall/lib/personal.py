"""Personal data at rest (PIPL; GB/T 39335): citizen ID numbers and phone numbers are stored
encrypted with SM4-GCM (GB/T 32907, the national block cipher, from `cryptography`), each
value under its own random nonce, so equal numbers give unequal ciphertexts. Beside each, a
keyed SM3 hash (HMAC-SM3, GB/T 32905) of the normalised value finds exact matches (bookings of
one ID number, a case by its applicant's ID) without decrypting anything.

Keys come from the environment: `SH_DATA_KEYS` ("2:<base64>,1:<base64>", 16 bytes each; the
highest number encrypts, every listed one decrypts, so a key is rotated by adding a new one
and running `manage.py personal_data_rekey`), and `SH_DATA_INDEX_KEY` for the hashes. Without
them (development and tests only; production refuses to start) both are derived from
SECRET_KEY.

Stored form: "sm4g:<key number>:<base64 of nonce + ciphertext + tag>". A value without that
prefix is read as it is (rows written before encryption, until the migration has run).
"""

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

PREFIX = "sm4g"
NONCE_BYTES = 12


def _derived(label: str) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), label.encode(), lambda: hashlib.new("sm3")).digest()


@cache
def _keys_from(spec: str, secret: str) -> dict[int, bytes]:
    if not spec:
        return {1: _derived("personal-data-key:1")[:16]}
    keys = {}
    for part in spec.split(","):
        number, _, encoded = part.strip().partition(":")
        key = base64.b64decode(encoded)
        if not number.isdigit() or len(key) != 16:
            raise ValueError("SH_DATA_KEYS: each key is <number>:<base64 of 16 bytes>")
        keys[int(number)] = key
    return keys


def keys() -> dict[int, bytes]:
    """Key number → SM4 key. The highest number is the current one."""
    return _keys_from(settings.SH_DATA_KEYS, settings.SECRET_KEY)


def current_key_number() -> int:
    return max(keys())


def encrypt(text: str) -> str:
    """The stored form of `text`; an empty value stays empty (nothing to protect)."""
    if not text:
        return text
    number = current_key_number()
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(keys()[number]), modes.GCM(nonce)).encryptor()
    sealed = encryptor.update(text.encode()) + encryptor.finalize() + encryptor.tag
    return f"{PREFIX}:{number}:{base64.b64encode(nonce + sealed).decode()}"


def is_encrypted(value) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX + ":")


def key_number_of(value: str) -> int | None:
    return int(value.split(":", 2)[1]) if is_encrypted(value) else None


def decrypt(value: str | None) -> str | None:
    """The text of a stored value. A tampered value or an unknown key is an error, never a
    silently wrong number."""
    if not is_encrypted(value):
        return value
    _, number, encoded = value.split(":", 2)
    raw = base64.b64decode(encoded)
    nonce, sealed, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-16], raw[-16:]
    try:
        key = keys()[int(number)]
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        return (decryptor.update(sealed) + decryptor.finalize()).decode()
    except (KeyError, InvalidTag) as exc:
        raise ValueError(f"personal data under key {number} cannot be decrypted") from exc


def _index_key() -> bytes:
    return base64.b64decode(settings.SH_DATA_INDEX_KEY) if settings.SH_DATA_INDEX_KEY \
        else _derived("personal-data-index")


def blind_index(text: str | None) -> str:
    """The keyed SM3 hash that finds `text` by exact match (upper-cased, spaces removed, as
    the services store it); empty for an empty value."""
    if not text:
        return ""
    normalised = "".join(str(text).split()).upper()
    return hmac.new(_index_key(), normalised.encode(), lambda: hashlib.new("sm3")).hexdigest()
