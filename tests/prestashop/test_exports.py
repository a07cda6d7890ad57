"""The package's public surface: exactly the names the import/export jobs are written against."""

from __future__ import annotations

import subprocess
import sys
import types

import prestasync.prestashop as package
from prestasync.prestashop import errors

PUBLIC = {
    "PrestaShopClient",
    "ShopInfo",
    "Language",
    "Record",
    "Combination",
    "Category",
    "RemoteProduct",
    "BadRecord",
    "StockRow",
    "Schema",
    "ImageUpload",
    "ProductDraft",
    "PrestaShopError",
    "ShopUnavailable",
    "ShopTimeout",
    "ShopUnreachable",
    "Unauthorized",
    "WebserviceDisabled",
    "NotFound",
    "NotSupported",
    "BadResponse",
    "ValidationFailed",
}


def test_all_is_sorted_and_equals_the_public_names() -> None:
    assert package.__all__ == sorted(package.__all__)
    assert set(package.__all__) == PUBLIC
    exposed = {
        name
        for name in dir(package)
        if not name.startswith("_") and not isinstance(getattr(package, name), types.ModuleType)
    }
    assert exposed == PUBLIC


def test_every_error_is_in_one_tree() -> None:
    names = [name for name in errors.__all__ if name != "PrestaShopError"]
    assert all(issubclass(getattr(errors, name), errors.PrestaShopError) for name in names)
    assert issubclass(errors.ShopTimeout, errors.ShopUnavailable)
    assert issubclass(errors.ShopUnreachable, errors.ShopUnavailable)
    assert issubclass(errors.WebserviceDisabled, errors.Unauthorized)
    assert not issubclass(errors.WebserviceDisabled, errors.ShopUnavailable)


def test_the_client_imports_nothing_else_from_prestasync() -> None:
    code = (
        "import sys, prestasync.prestashop; "
        "print(sorted(m for m in sys.modules "
        "if m.startswith('prestasync') and not m.startswith('prestasync.prestashop')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "['prestasync']"


def test_importing_the_package_does_not_load_the_emulator() -> None:
    code = "import sys, prestasync.prestashop; print(sorted(m for m in sys.modules if 'emu' in m or 'starlette' in m))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
