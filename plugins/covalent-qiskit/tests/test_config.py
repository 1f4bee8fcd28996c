"""Executor options: checked at construction, serialised for the server, credentials."""

from __future__ import annotations

import json

import pytest

from covalent_qiskit import QiskitExecutor
from covalent_qiskit.config import BackendKind, QiskitConfig, backend_kind


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("statevector", BackendKind.REFERENCE),
        ("reference", BackendKind.REFERENCE),
        ("aer", BackendKind.AER),
        ("fake_manila", BackendKind.FAKE),
        ("FakeSherbrooke", BackendKind.FAKE),
        ("ibm", BackendKind.IBM),
        ("ibm:ibm_torino", BackendKind.IBM),
        ("ibm_brisbane", BackendKind.IBM),
    ],
)
def test_backend_names(name: str, kind: str) -> None:
    assert backend_kind(name) == kind


@pytest.mark.parametrize(
    "options",
    [
        {"backend": "nonsense"},
        {"primitive": "sampling"},
        {"shots": 0},
        {"optimization_level": 4},
        {"backend": "statevector", "noise_model": {"errors": []}},
    ],
)
def test_bad_options_fail_at_construction(options: dict) -> None:
    with pytest.raises(ValueError):
        QiskitExecutor(**options)


def test_round_trip_through_to_dict() -> None:
    executor = QiskitExecutor(backend="fake_manila", shots=300, seed=2, optimization_level=3)
    data = executor.to_dict()
    assert data["name"] == "qiskit"
    rebuilt = QiskitExecutor.from_dict(data)
    assert rebuilt.config == executor.config
    assert rebuilt.describe()["backend"] == "fake_manila"


def test_ibm_backend_name_and_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QISKIT_IBM_TOKEN", "from-env")
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", "crn:instance")
    monkeypatch.delenv("QISKIT_IBM_CHANNEL", raising=False)
    config = QiskitConfig(backend="ibm:ibm_torino", ibm_channel="ibm_quantum_platform")
    assert config.ibm_backend_name() == "ibm_torino"
    assert config.ibm_credentials() == {
        "channel": "ibm_quantum_platform",
        "token": "from-env",
        "instance": "crn:instance",
    }
    assert QiskitConfig(backend="ibm").ibm_backend_name() is None
    assert QiskitConfig(backend="ibm_brisbane", ibm_token="named").ibm_credentials()["token"] == "named"


def test_repr_hides_the_token() -> None:
    text = repr(QiskitExecutor(backend="ibm_brisbane", ibm_token="secret-token"))
    assert "secret-token" not in text
    assert "ibm_brisbane" in text


def test_a_qiskit_noise_model_travels_as_its_dict():
    from qiskit_aer.noise import NoiseModel, depolarizing_error

    model = NoiseModel()
    model.add_all_qubit_quantum_error(depolarizing_error(0.1, 2), ["cx"])
    data = QiskitExecutor(noise_model=model).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert isinstance(data["kwargs"]["noise_model"], dict)
