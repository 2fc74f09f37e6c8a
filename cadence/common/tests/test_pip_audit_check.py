"""bin/pip-audit-check: fails on vulnerabilities, never reports "audited" when it was not."""

from __future__ import annotations

import json
import sys
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve().parents[3] / "bin" / "pip-audit-check"


def _load() -> Any:
    loader = SourceFileLoader("pip_audit_check", str(SCRIPT))
    spec = spec_from_loader("pip_audit_check", loader)
    assert spec is not None
    module = module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    loader.exec_module(module)
    return module


check = _load()


def _report(*deps: dict[str, Any]) -> str:
    return json.dumps({"dependencies": list(deps), "fixes": []})


CLEAN = {"name": "django", "version": "5.2.9", "vulns": []}
OURS = {"name": "cadence", "skip_reason": "distribution marked as editable"}
UNREACHABLE = {
    "name": "django",
    "skip_reason": "Dependency not found on PyPI and could not be audited: django (5.2.9)",
}
VULNERABLE = {
    "name": "sqlparse",
    "version": "0.4.3",
    "vulns": [{"id": "GHSA-rrm6-wvj7-cwh2", "fix_versions": ["0.4.4"], "aliases": []}],
}


def test_clean_full_audit_passes_and_counts_packages():
    outcome = check.classify("pypi", 0, _report(CLEAN, OURS), "")
    assert (outcome.audited, outcome.unaudited, outcome.complete) == (["django 5.2.9"], [], True)
    status, lines = check.decide([outcome], offline_ok=False)
    assert status == 0
    assert lines == ["pip-audit: 1 packages audited against pypi: no known vulnerabilities."]


def test_vulnerability_fails_even_when_offline_is_allowed():
    outcome = check.classify("pypi", 1, _report(CLEAN, VULNERABLE), "")
    status, lines = check.decide([outcome], offline_ok=True)
    assert status == 1
    assert lines[0] == "pip-audit: 1 known vulnerability (pypi):"
    assert lines[1] == "  sqlparse 0.4.3: GHSA-rrm6-wvj7-cwh2 (fixed in 0.4.4)"


def test_every_package_skipped_is_not_audited_and_fails():
    pypi = check.classify("pypi", 0, _report(UNREACHABLE, OURS), "No known vulnerabilities found")
    assert (pypi.audited, pypi.complete) == ([], False)
    status, lines = check.decide([pypi], offline_ok=False)
    assert status == 2
    assert check.NOT_AUDITED in lines
    assert check.NOT_AUDITED == "pip-audit: NOT AUDITED — vulnerability service unreachable"


def test_partly_audited_is_still_not_audited():
    pypi = check.classify("pypi", 0, _report(CLEAN, UNREACHABLE), "")
    assert pypi.complete is False
    assert check.decide([pypi], offline_ok=False)[0] == 2


def test_crash_without_report_is_an_error_naming_the_cause():
    osv = check.classify("osv", 1, "", "Traceback ...\nConnectionError: api.osv.dev unreachable\n")
    assert osv.error == (
        "pip-audit exited 1 without a report: ConnectionError: api.osv.dev unreachable"
    )
    assert check.decide([osv], offline_ok=False)[0] == 2


def test_offline_allowance_passes_only_with_the_loud_line():
    pypi = check.classify("pypi", 0, _report(UNREACHABLE), "")
    osv = check.classify("osv", 1, "", "ConnectionError")
    status, lines = check.decide([pypi, osv], offline_ok=True)
    assert status == 0
    assert check.NOT_AUDITED in lines
    assert "  Continuing because CI_OFFLINE_AUDIT_OK=1: dependencies were NOT checked." in lines


def test_second_service_completing_counts_as_audited():
    pypi = check.classify("pypi", 0, _report(UNREACHABLE), "")
    osv = check.classify("osv", 0, _report(CLEAN), "")
    assert check.decide([pypi, osv], offline_ok=False) == (
        0,
        ["pip-audit: 1 packages audited against osv: no known vulnerabilities."],
    )


def test_ignore_file_reads_ids_and_skips_comments(tmp_path):
    path = tmp_path / "ignore"
    path.write_text("# header\nGHSA-aaaa-bbbb-cccc  # not used here; review 2027-01\n\n")
    assert check.read_ignores(path) == ["GHSA-aaaa-bbbb-cccc"]
    assert check.read_ignores(tmp_path / "missing") == []


def test_shipped_ignore_file_lists_no_vulnerabilities():
    assert check.read_ignores() == []
