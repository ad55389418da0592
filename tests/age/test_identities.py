"""agepy.age.identities: SSH and age private keys, passphrases asked only when needed, once."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from agepy.age import decrypt_bytes, encrypt_bytes
from agepy.age.identities import default_identity_paths, load_identities, load_identity_file
from agepy.age.recipients import parse_recipient
from agepy.errors import IdentityError, NoIdentityMatchError
from tests.support.keys import PASSPHRASE, Key, make_ssh_key


class CountingPrompt:
    def __init__(self, answer: str = PASSPHRASE) -> None:
        self.answer = answer
        self.asked: list[Path] = []

    def __call__(self, path: Path) -> str:
        self.asked.append(path)
        return self.answer


@pytest.mark.parametrize("name", ["ed25519", "rsa2048", "rsa4096", "rsa-pem"])
def test_ssh_identities(name: str, keys: dict[str, Key]) -> None:
    (identity,) = load_identity_file(keys[name].private)
    recipient = parse_recipient(keys[name].public_text)
    assert identity.kind == recipient.kind
    assert identity.recipient is not None and identity.recipient.text == recipient.text
    assert identity.tag == recipient.tag
    assert not identity.encrypted
    assert decrypt_bytes(encrypt_bytes(b"hi", [recipient]), [identity]) == b"hi"


def test_age_identity_file(keys: dict[str, Key], tmp_path: Path, age_keygen_bin: str) -> None:
    second = tmp_path / "second.key"
    subprocess.run([age_keygen_bin, "-o", str(second)], check=True, capture_output=True)
    combined = tmp_path / "both.txt"
    combined.write_text(keys["x25519"].private.read_text() + "\n# another\n" + second.read_text())
    identities = load_identity_file(combined)
    assert [i.kind for i in identities] == ["x25519", "x25519"]
    assert identities[0].recipient is not None
    assert identities[0].recipient.text == keys["x25519"].public_text
    assert identities[0].tag is None
    data = encrypt_bytes(b"secret", [keys["x25519"].public_text])
    assert decrypt_bytes(data, identities) == b"secret"


def test_encrypted_key_readable_without_passphrase(keys: dict[str, Key]) -> None:
    prompt = CountingPrompt()
    (identity,) = load_identity_file(keys["ed25519-pass"].private, prompt=prompt)
    assert identity.encrypted and not prompt.asked
    assert identity.recipient is not None
    assert identity.recipient.text == parse_recipient(keys["ed25519-pass"].public_text).text


def test_passphrase_asked_only_on_tag_match_and_once(
    tmp_path: Path, ssh_keygen_bin: str, keys: dict[str, Key], age_bin: str
) -> None:
    # A fresh key: the unlock cache is per process.
    locked = make_ssh_key(ssh_keygen_bin, tmp_path, "locked", "ed25519", passphrase=PASSPHRASE)
    prompt = CountingPrompt()
    identities = load_identities([locked.private, keys["ed25519"].private], prompt=prompt)
    for_other = encrypt_bytes(b"other", [keys["ed25519"].public_text])
    assert decrypt_bytes(for_other, identities) == b"other"
    assert prompt.asked == []  # the file has no stanza for the locked key
    with_age = subprocess.run(
        [age_bin, "-R", str(locked.public)], input=b"mine", capture_output=True, check=True
    ).stdout
    assert decrypt_bytes(with_age, identities) == b"mine"
    assert prompt.asked == [locked.private]
    again = load_identities([locked.private], prompt=prompt)
    assert decrypt_bytes(with_age, again) == b"mine"
    assert prompt.asked == [locked.private]  # asked once per process


def test_encrypted_pem_key_with_pub_beside(tmp_path: Path, ssh_keygen_bin: str) -> None:
    pair = make_ssh_key(
        ssh_keygen_bin, tmp_path, "pem", "rsa", bits=2048, passphrase=PASSPHRASE, pem=True
    )
    prompt = CountingPrompt()
    (identity,) = load_identity_file(pair.private, prompt=prompt)
    assert identity.encrypted and identity.tag == parse_recipient(pair.public_text).tag
    assert decrypt_bytes(encrypt_bytes(b"x", [pair.public_text]), [identity]) == b"x"
    assert len(prompt.asked) == 1


def test_wrong_passphrase(tmp_path: Path, ssh_keygen_bin: str) -> None:
    pair = make_ssh_key(ssh_keygen_bin, tmp_path, "k", "ed25519", passphrase=PASSPHRASE)
    (identity,) = load_identity_file(pair.private, prompt=CountingPrompt("nope"))
    with pytest.raises(IdentityError, match="wrong passphrase"):
        decrypt_bytes(encrypt_bytes(b"x", [pair.public_text]), [identity])


def test_locked_key_without_prompt(tmp_path: Path, ssh_keygen_bin: str) -> None:
    pair = make_ssh_key(ssh_keygen_bin, tmp_path, "k", "ed25519", passphrase=PASSPHRASE)
    (identity,) = load_identity_file(pair.private)
    with pytest.raises(IdentityError, match="passphrase-protected"):
        identity.unwrapper()


def test_passphrase_encrypted_age_identity_file(keys: dict[str, Key], tmp_path: Path) -> None:
    # Sealed by agepy at a low work factor: pyrage calibrates scrypt to a second and more
    # on each side. What is tested is opening an encrypted identity file and asking once;
    # that agepy opens other tools' passphrase files (age -p, pyrage) is test_interop_sizes'.
    encrypted = tmp_path / "key.age"
    encrypted.write_bytes(
        encrypt_bytes(
            keys["x25519"].private.read_bytes(), [], passphrase="pw", work_factor=10, armor=True
        )
    )
    prompt = CountingPrompt("pw")
    (identity,) = load_identity_file(encrypted, prompt=prompt)
    assert identity.kind == "x25519" and prompt.asked == [encrypted]


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"hello\n", "not a private key agepy knows"),
        (b"\x00\xff\x10", "not a private key agepy knows"),
        (b"AGE-PLUGIN-YUBIKEY-1QQQ\n", "plugin identity"),
        (b"AGE-SECRET-KEY-1QQQQ\n", "not a valid AGE-SECRET-KEY"),
        (
            b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
            "damaged",
        ),
    ],
)
def test_bad_identity_files(content: bytes, pattern: str, tmp_path: Path) -> None:
    path = tmp_path / "id"
    path.write_bytes(content)
    with pytest.raises(IdentityError, match=pattern) as info:
        load_identity_file(path)
    assert info.value.hint


@pytest.mark.parametrize("name", ["ed25519", "x25519"])
def test_public_key_as_identity(name: str, keys: dict[str, Key]) -> None:
    with pytest.raises(IdentityError, match="public key"):
        load_identity_file(keys[name].public)


def test_unreadable_identity(tmp_path: Path) -> None:
    with pytest.raises(IdentityError, match="cannot read"):
        load_identity_file(tmp_path / "missing")
    with pytest.raises(IdentityError, match="cannot read"):
        load_identity_file(tmp_path)


def test_unsupported_private_key_types(tmp_path: Path, ssh_keygen_bin: str) -> None:
    pair = make_ssh_key(ssh_keygen_bin, tmp_path, "ec", "ecdsa")
    with pytest.raises(IdentityError, match="ECDSA"):
        load_identity_file(pair.private)
    small = make_ssh_key(ssh_keygen_bin, tmp_path, "small", "rsa", bits=1024)
    with pytest.raises(IdentityError, match="1024"):
        load_identity_file(small.private)


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keys: dict[str, Key]) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_identity_paths() == []
    with pytest.raises(IdentityError, match="no identity"):
        load_identities(None)
    ssh = tmp_path / ".ssh"
    ssh.mkdir()
    (ssh / "id_rsa").write_bytes(keys["rsa2048"].private.read_bytes())
    assert default_identity_paths() == [ssh / "id_rsa"]
    (ssh / "id_ed25519").write_bytes(keys["ed25519"].private.read_bytes())
    assert default_identity_paths() == [ssh / "id_ed25519", ssh / "id_rsa"]
    assert [i.kind for i in load_identities()] == ["ssh-ed25519", "ssh-rsa"]


def test_no_match_names_recipients_and_identities(keys: dict[str, Key]) -> None:
    ed = parse_recipient(keys["ed25519"].public_text)
    data = encrypt_bytes(b"x", [ed, keys["rsa2048"].public_text, keys["x25519"].public_text])
    identities = load_identity_file(keys["rsa4096"].private)
    assert ed.tag is not None
    with pytest.raises(NoIdentityMatchError) as info:
        decrypt_bytes(data, identities, key_names={ed.tag: "alice"})
    message = info.value.message
    assert "ssh-ed25519 alice" in message
    assert "ssh-rsa tag " + str(parse_recipient(keys["rsa2048"].public_text).tag) in message
    assert "1 X25519 recipient" in message
    assert str(keys["rsa4096"].private) in message
    assert "grease" not in message


# A key whose numbers disagree: agepy skips OpenSSL's slow primality tests (load_private_key)
# but makes the checks age makes, so such a key is refused, never used to decrypt. (A
# modulus that is not p·q cryptography refuses itself, even without its key check.)
_DAMAGES = {
    "exponent": lambda n: {"d": n.d + 2},
    "crt": lambda n: {"iqmp": n.iqmp + 1},
}


@pytest.mark.parametrize("form", ["openssh", "pem", "openssh-locked"])
@pytest.mark.parametrize("damage", sorted(_DAMAGES))
def test_an_rsa_key_whose_numbers_disagree_is_refused(
    damage: str, form: str, keys: dict[str, Key], tmp_path: Path
) -> None:
    good = serialization.load_ssh_private_key(keys["rsa2048"].private.read_bytes(), None)
    assert isinstance(good, rsa.RSAPrivateKey)
    numbers = good.private_numbers()
    fields = {
        "p": numbers.p,
        "q": numbers.q,
        "d": numbers.d,
        "dmp1": numbers.dmp1,
        "dmq1": numbers.dmq1,
        "iqmp": numbers.iqmp,
        "public_numbers": numbers.public_numbers,
    } | _DAMAGES[damage](numbers)
    bad = rsa.RSAPrivateNumbers(**fields).private_key(unsafe_skip_rsa_key_validation=True)
    locked = form == "openssh-locked"
    path = tmp_path / "id_rsa"
    path.write_bytes(
        bad.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL
            if form == "pem"
            else serialization.PrivateFormat.OpenSSH,
            serialization.BestAvailableEncryption(b"pw")
            if locked
            else serialization.NoEncryption(),
        )
    )
    data = encrypt_bytes(b"x", [keys["rsa2048"].public_text])
    with pytest.raises(IdentityError, match="invalid RSA key") as info:
        identities = load_identity_file(path, prompt=(lambda _path: "pw") if locked else None)
        decrypt_bytes(data, identities)
    assert info.value.hint
