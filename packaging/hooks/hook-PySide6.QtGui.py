# Replaces PyInstaller's hook for PySide6.QtGui (a hook in the spec's hookspath wins over the built-in one): the
# same collection, less the Qt plugins the workstation does not use, dropped *before* PyInstaller follows their
# shared-library dependencies, so that e.g. the GTK platform theme does not drag the whole GTK stack in.
import os
import re

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)

KEEP_PLUGINS = re.compile(r"""^(
      platforms/libq(xcb|wayland|offscreen|minimal)\.so                 # X11, Wayland, headless (smoke test)
    | platformthemes/libqxdgdesktopportal\.so                           # desktop colours, fonts, file dialogs
    | platforminputcontexts/lib(compose|ibus)platforminputcontextplugin\.so   # accented characters, input methods
    | iconengines/libqsvgicon\.so | imageformats/libqsvg\.so            # the SVG icon
    | xcbglintegrations/libqxcb-(glx|egl)-integration\.so
    | wayland-shell-integration/libxdg-shell\.so
    | wayland-decoration-client/lib(adwaita|bradient)\.so
    | wayland-graphics-integration-client/libqt-plugin-wayland-egl\.so
)$""", re.VERBOSE)


def _keep(src: str) -> bool:
    parts = src.replace(os.sep, "/").split("/plugins/", 1)
    return len(parts) == 1 or bool(KEEP_PLUGINS.match(parts[1]))


dropped = sorted(src for src, _dest in binaries if not _keep(src))
binaries = [(src, dest) for src, dest in binaries if _keep(src)]
