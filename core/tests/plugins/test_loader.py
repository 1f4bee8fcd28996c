"""Plugin discovery through real entry points; a broken plugin is isolated and listed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path


def _fake_distribution(site: Path, name: str, module_source: str, entry: str) -> None:
    """A real installed distribution: a module plus its .dist-info with entry points."""
    (site / f"{name}.py").write_text(textwrap.dedent(module_source))
    info = site / f"{name}-1.2.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(f"[covalent]\n{entry} = {name}\n")
    (info / "RECORD").write_text("")


def _plugins(site: Path, **env: str) -> dict[str, dict]:
    code = (
        "import json; from covalent.plugins import plugin_infos; "
        "print(json.dumps([p.to_dict() for p in plugin_infos()]))"
    )
    environ = {**os.environ, "PYTHONPATH": str(site), **env}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environ)
    return {p["name"]: p for p in json.loads(out.stdout)}


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    _fake_distribution(site, "broken_import", "raise ImportError('missing dependency xyz')\n", "broken-import")
    _fake_distribution(
        site,
        "broken_register",
        """
        from covalent.plugins import hookimpl

        @hookimpl
        def register_executors(register):
            register(object)
        """,
        "broken-register",
    )
    _fake_distribution(
        site,
        "good_plugin",
        """
        from covalent.executor import LocalExecutor
        from covalent.plugins import hookimpl

        class GoodExecutor(LocalExecutor):
            short_name = "good"

        @hookimpl
        def register_executors(register):
            register(GoodExecutor)
        """,
        "good",
    )
    return site


def test_broken_plugins_are_isolated_and_listed(tmp_path):
    infos = _plugins(_site(tmp_path))
    assert infos["broken-import"]["loaded"] is False
    assert "ImportError: missing dependency xyz" in infos["broken-import"]["error"]
    assert infos["broken-register"]["loaded"] is False
    assert "is not an executor class" in infos["broken-register"]["error"]
    assert infos["good"]["loaded"] and infos["good"]["executors"] == ["good"]
    assert infos["good"]["version"] == "1.2.3"
    assert infos["local"]["loaded"]


def test_the_sdk_and_cli_survive_a_broken_plugin(tmp_path):
    site = _site(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(site), "COVALENT_CONFIG_DIR": str(tmp_path / "c")}
    code = "import covalent as ct; print(ct.executor.GoodExecutor.short_name)"
    assert (
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.strip()
        == "good"
    )
    listing = subprocess.run(
        [sys.executable, "-m", "covalent.cli", "plugins", "--json"], env=env, capture_output=True, text=True, check=True
    )
    names = {p["name"]: p["loaded"] for p in json.loads(listing.stdout)}
    assert names["broken-import"] is False and names["good"] is True


def test_allow_list_restricts_what_loads(tmp_path):
    infos = _plugins(_site(tmp_path), COVALENT_PLUGINS="good")
    assert "broken-import" not in infos and "good" in infos and "local" in infos


def test_call_each_goes_through_pluggy_and_isolates_a_failing_plugin():
    import pluggy

    from covalent.plugins import CovalentSpec, hookimpl
    from covalent.plugins.manager import call_each

    pm = pluggy.PluginManager("covalent")
    pm.add_hookspecs(CovalentSpec)
    seen: list[str] = []

    class First:
        @hookimpl(tryfirst=True)
        def register_routes(self, register):
            register("/first", None)

    class Broken:
        @hookimpl
        def register_routes(self, register):
            raise RuntimeError("broken plugin")

    class Wrapping:
        @hookimpl(wrapper=True)
        def register_routes(self, register):
            seen.append("wrapper")
            return (yield)

    class Last:
        @hookimpl
        def register_routes(self, register):
            register("/last", None)

    for plugin, name in ((First(), "first"), (Broken(), "broken"), (Wrapping(), "wrapping"), (Last(), "last")):
        pm.register(plugin, name=name)
    failures = call_each(pm, "register_routes", register=lambda path, app: seen.append(path))
    assert [(name, str(exc)) for name, exc in failures] == [("broken", "broken plugin")]
    assert [s for s in seen if s != "wrapper"] == ["/first", "/last"]


def test_executor_classes_load_on_first_need_and_a_failing_one_is_still_isolated(tmp_path):
    """Loading imports a plugin's module only; its executors are checked before any of its hooks runs."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "lazy_classes.py").write_text(
        textwrap.dedent(
            """
            from covalent.executor import LocalExecutor

            class LazyExecutor(LocalExecutor):
                short_name = "lazy"
            """
        )
    )
    _fake_distribution(
        site,
        "lazy_plugin",
        """
        from covalent.plugins import hookimpl

        @hookimpl
        def register_executors(register):
            from lazy_classes import LazyExecutor

            register(LazyExecutor)
        """,
        "lazy",
    )
    _fake_distribution(
        site,
        "late_broken",
        """
        from covalent.plugins import hookimpl

        @hookimpl
        def register_executors(register):
            import no_such_module_abc  # fails only when the executors are first needed

        @hookimpl
        def register_commands(register):
            register("late", "late_broken:nothing")
        """,
        "late-broken",
    )
    code = textwrap.dedent(
        """
        import json, sys
        from covalent.plugins.manager import call_each, get_plugin_manager, plugin_infos
        from covalent.executor.registry import executor_classes

        pm = get_plugin_manager()
        loaded = "lazy_classes" in sys.modules
        commands = []
        failures = call_each(pm, "register_commands", register=lambda name, target: commands.append(name))
        classes = sorted(executor_classes())
        infos = {p.name: p.to_dict() for p in plugin_infos()}
        print(json.dumps({"loaded_at_start": loaded, "commands": commands, "failures": len(failures),
                          "classes": classes, "infos": infos}))
        """
    )
    environ = {**os.environ, "PYTHONPATH": str(site), "COVALENT_CONFIG_DIR": str(tmp_path / "c")}
    out = json.loads(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environ).stdout
    )
    assert out["loaded_at_start"] is False
    assert "late" not in out["commands"] and out["failures"] == 0  # its other hooks never ran
    assert "lazy" in out["classes"] and "local" in out["classes"]
    assert out["infos"]["lazy"]["loaded"] and out["infos"]["lazy"]["executors"] == ["lazy"]
    assert out["infos"]["late-broken"]["loaded"] is False
    assert "No module named 'no_such_module_abc'" in out["infos"]["late-broken"]["error"]
