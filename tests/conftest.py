"""Test-wide settings: Qt offscreen, a deterministic hypothesis profile."""
import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Every test session gets a home of its own: settings, autosaves and logs (Qt's test-mode
# folders live under $HOME/.qttest) never touch the user's, nor another session running at the
# same time.
_HOME = tempfile.mkdtemp(prefix="outbound-designer-tests-")
os.environ["HOME"] = _HOME
for _var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
             "XDG_RUNTIME_DIR"):
    os.environ.pop(_var, None)

# The simulation kernel is compiled once per machine (numba): tests use the compiled kernel
# (no background compile), cached outside the throwaway home so that local sessions reuse it.
os.environ.setdefault("OUTBOUND_DESIGNER_KERNEL", "compiled")
os.environ.setdefault("NUMBA_CACHE_DIR",
                      os.path.join(tempfile.gettempdir(), "outbound-designer-tests-numba"))

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
