import pytest

from dashboard.auth import passwords
from dashboard.auth.passwords import hash_password, needs_rehash, verify_password
from dashboard.core.errors import InvalidInput


def test_hash_is_bcrypt_cost_12_and_verifies():
    h = hash_password("a long enough passphrase")
    assert h.startswith("$bcrypt-sha256$v=2,t=2b,r=12$")
    assert verify_password("a long enough passphrase", h)
    assert not verify_password("a long enough passphrasE", h)
    assert not needs_rehash(h)


def test_missing_or_garbage_hash_never_verifies():
    assert not verify_password("anything", None)
    assert not verify_password("anything", "")
    assert not verify_password("anything", "not-a-hash")


def test_passwords_longer_than_72_bytes_work_with_bcrypt_5():
    long = "é" * 60  # 120 bytes in UTF-8: passlib 1.7.4 + bcrypt 5 crashed here
    assert verify_password(long, hash_password(long))


def test_plain_bcrypt_hashes_from_the_platforms_still_verify_and_get_upgraded():
    import bcrypt

    legacy = bcrypt.hashpw(b"legacy password 1", bcrypt.gensalt(rounds=12)).decode()
    assert verify_password("legacy password 1", legacy)
    assert needs_rehash(legacy)


def test_new_passwords_must_be_12_to_256_characters() -> None:
    for bad in ("short", "x" * 11, "x" * 257, " " * 20, "twelve chars\x00", 123456789012, None):
        with pytest.raises(InvalidInput):
            passwords.validate_new_password(bad)
    assert passwords.validate_new_password("x" * 12) == "x" * 12
    assert passwords.validate_new_password("x" * 256) == "x" * 256
