import pytest

from dashboard.core import storage


@pytest.mark.parametrize(
    "key",
    ["../etc/passwd", "/etc/passwd", "kyc/../../x", "kyc//x", "", "kyc/x/", ".hidden", "a\\b", "kyc/\x00"],
)
def test_keys_that_could_escape_the_private_folder_are_refused(tmp_path, key):
    with pytest.raises(storage.InvalidStorageKey):
        storage.path_for(key, base=tmp_path)


def test_write_and_read_back(tmp_path):
    digest = storage.write("kyc/u1/v1/id_front.jpg", b"hello", base=tmp_path)
    assert storage.read("kyc/u1/v1/id_front.jpg", base=tmp_path) == b"hello"
    assert digest == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert (tmp_path / "kyc/u1/v1/id_front.jpg").exists()


def test_private_folder_is_not_under_public_assets():
    from dashboard.config import PROJECT_ROOT, get_settings

    private = get_settings().private_files_dir.resolve()
    assets = (PROJECT_ROOT / "assets").resolve()
    assert assets not in private.parents and private != assets
