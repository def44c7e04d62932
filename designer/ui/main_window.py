"""The main window: canvas, docks (palette, inspector, findings, undo history, overview),
menus and toolbars, files and settings.

Every QAction has a stable objectName (``action-file-open``, ``action-edit-undo``, ...) so
tests and scripts find it; every dock and toolbar has one too, so ``saveState`` restores them.
A document is a scenario with its own QUndoStack; opening, recovering or creating one swaps
in a new DiagramScene and DiagramView (the old ones go with the old document).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import (QAction, QActionGroup, QGuiApplication, QIcon, QKeySequence,
                           QPalette, QUndoGroup)
from PySide6.QtWidgets import (QApplication, QDockWidget, QLabel, QMainWindow, QStyle,
                               QToolBar, QUndoView, QVBoxLayout, QWidget)

from ..model import Scenario
from ..model.layout import lay_out_unplaced
from . import theme as themes
from .actions import painted_icon
from .canvas import DiagramScene, DiagramView, Overview
from .document import AUTOSAVE_INTERVAL_MS, Autosaver, Document
from .edit_actions import EditActions
from .file_actions import APP_TITLE, FileActions  # noqa: F401 (APP_TITLE: public name)
from .findings import FindingsPanel
from .help_actions import HelpActions, qt_version  # noqa: F401 (qt_version: public name)
from .inspector import Inspector
from .palette import Palette
from .settings import Settings

STATUS_TIMEOUT_MS = 6000
#: a document is fitted to the view automatically at most this often, and only when the view
#: changed size by more than a scroll bar's width
MAX_AUTO_FITS = 4
FIT_SLACK_PX = 40
#: actions whose shortcuts work only while the canvas has the keyboard focus
CANVAS_SHORTCUTS = {"edit-cut", "edit-copy", "edit-paste", "edit-duplicate", "edit-delete",
                    "edit-rename",
                    "edit-select-all", "edit-connect-tool", "view-fit", "view-zoom-selection",
                    *(f"edit-align-{e}" for e in ("left", "right", "top", "bottom", "hcenter",
                                                  "vcenter"))}



class MainWindow(FileActions, EditActions, HelpActions, QMainWindow):
    #: a document was shown (a new scene and view): editor features hook their new view
    documentShown = Signal()

    def __init__(self, settings: Settings | None = None,
                 autosave_interval_ms: int = AUTOSAVE_INTERVAL_MS):
        super().__init__()
        self.setObjectName("main-window")
        self.settings = settings or Settings()
        self.theme = self.settings.theme()
        self.dark = themes.resolve(self.theme)
        self.document: Document | None = None
        self.scene: DiagramScene | None = None
        self.view: DiagramView | None = None
        self.overview: Overview | None = None
        self.undo_group = QUndoGroup(self)
        self.autosaver = Autosaver(autosave_interval_ms, self)
        self.actions_by_name: dict[str, QAction] = {}
        self._shut_down = False
        self.setDocumentMode(True)
        self.setDockOptions(QMainWindow.AnimatedDocks | QMainWindow.AllowTabbedDocks)
        self.setAcceptDrops(True)
        self.resize(1360, 860)
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_toolbars()
        self._build_status_bar()
        from .export_dialog import install_export_actions
        install_export_actions(self)
        from .import_dialog import install_import
        install_import(self)
        # live simulation (designer/ui/live): its docks and toolbar exist before restoreState
        from .live import install_live_simulation
        self.live = install_live_simulation(self)
        from .run_limits import install_run_limits  # Simulation > Memory Limit...
        install_run_limits(self)
        from .dock_policy import install_dock_policy
        self.dock_policy = install_dock_policy(self)
        from .context_menus import install_context_menus
        self.context_menus = install_context_menus(self)
        from .find_bar import install_find
        self.find_bar = install_find(self)
        from .capacity import install_capacity  # Compare Fixes, Sweep (designer/ui/capacity)
        self.capacity = install_capacity(self)
        geometry, state = self.settings.geometry(), self.settings.state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        #: first show without a saved layout: give the canvas the room (see showEvent)
        self._size_docks = state is None
        if state is not None:
            self.restoreState(state)
        self._fit_pending = True
        self._fitted_size = None
        self._auto_fits = 0
        self._fitting = False
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._system_scheme_changed)
        self.set_document(Document(Scenario()))
        self.apply_theme()

    # ================================================================== building
    def _dock(self, name: str, title: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{name}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.canvas_holder = QWidget()
        self.canvas_holder.setObjectName("canvas-holder")
        QVBoxLayout(self.canvas_holder).setContentsMargins(0, 0, 0, 0)
        self.setCentralWidget(self.canvas_holder)
        self.palette = Palette()
        self.palette.placeRequested.connect(self.place_at_centre)
        self.inspector = Inspector()
        self.inspector.statusMessage.connect(self.show_status)
        self.findings = FindingsPanel()
        self.findings.findingsChanged.connect(self._findings_changed)
        self.findings.findingActivated.connect(self.go_to_finding)
        self.history = QUndoView(self.undo_group)
        self.history.setObjectName("undo-history")
        self.history.setEmptyLabel("<opened>")
        self.overview_holder = QWidget()
        self.overview_holder.setObjectName("overview-holder")
        QVBoxLayout(self.overview_holder).setContentsMargins(0, 0, 0, 0)
        self.overview_holder.setMinimumHeight(140)
        self.dock_palette = self._dock("palette", "Palette", self.palette, Qt.LeftDockWidgetArea)
        self.dock_overview = self._dock("overview", "Overview", self.overview_holder,
                                        Qt.LeftDockWidgetArea)
        self.dock_inspector = self._dock("inspector", "Inspector", self.inspector,
                                         Qt.RightDockWidgetArea)
        self.dock_history = self._dock("history", "Undo history", self.history,
                                       Qt.RightDockWidgetArea)
        self.tabifyDockWidget(self.dock_inspector, self.dock_history)
        self.dock_inspector.raise_()
        self.dock_findings = self._dock("findings", "Findings", self.findings,
                                        Qt.BottomDockWidgetArea)

    def _action(self, name: str, text: str, slot=None, shortcut=None, tip: str = "",
                icon: QIcon | None = None, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setObjectName(f"action-{name}")
        if shortcut is not None:
            if isinstance(shortcut, (list, tuple)):
                action.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        if icon is not None:
            action.setIcon(icon)
        action.setCheckable(checkable)
        if slot is not None:
            (action.toggled if checkable else action.triggered).connect(slot)
        if name in CANVAS_SHORTCUTS:
            # Delete, F, C, Ctrl+C ... act on the diagram only while it has the focus, so
            # that they never hit the canvas from the inspector's tables or the palette
            action.setShortcutContext(Qt.WidgetWithChildrenShortcut)
            self.canvas_holder.addAction(action)
        else:
            self.addAction(action)  # shortcuts work even while a menu bar is hidden
        self.actions_by_name[action.objectName()] = action
        return action

    def action(self, object_name: str) -> QAction:
        """The action with this objectName (``action-file-open``)."""
        return self.actions_by_name[object_name]

    def _build_actions(self) -> None:
        sp = self.style().standardIcon
        a = self._action
        # File
        a("file-new", "&New", self.new_document, QKeySequence.New, "Start an empty scenario",
          sp(QStyle.SP_FileIcon))
        a("file-open", "&Open…", self.open_dialog, QKeySequence.Open, "Open a scenario file",
          sp(QStyle.SP_DialogOpenButton))
        a("file-save", "&Save", self.save, QKeySequence.Save, "Save the scenario",
          sp(QStyle.SP_DialogSaveButton))
        a("file-save-as", "Save &As…", self.save_as, QKeySequence.SaveAs,
          "Save the scenario under a new name")
        a("file-revert", "&Revert", self.revert, None,
          "Drop the unsaved changes and reload the file")
        a("file-clear-recent", "Clear Recent Files", self.clear_recent)
        a("file-quit", "&Quit", self.close,
          QKeySequence.Quit if not QKeySequence(QKeySequence.Quit).isEmpty() else "Ctrl+Q",
          "Close the window")
        # Edit: undo / redo follow the active document's stack, with named entries
        undo = self.undo_group.createUndoAction(self, "&Undo")
        undo.setObjectName("action-edit-undo")
        undo.setShortcuts(QKeySequence.Undo)
        redo = self.undo_group.createRedoAction(self, "&Redo")
        redo.setObjectName("action-edit-redo")
        redo.setShortcuts([QKeySequence(QKeySequence.Redo), QKeySequence("Ctrl+Y")]
                          if QKeySequence(QKeySequence.Redo) != QKeySequence("Ctrl+Y")
                          else QKeySequence.Redo)
        for action in (undo, redo):
            self.addAction(action)
            self.actions_by_name[action.objectName()] = action
        a("edit-cut", "Cu&t", self.cut, QKeySequence.Cut, "Cut the selection")
        a("edit-copy", "&Copy", self.copy, QKeySequence.Copy,
          "Copy the selection (with the links among the copied items)")
        a("edit-paste", "&Paste", lambda: self.paste(), QKeySequence.Paste,
          "Paste at the mouse pointer (the ids and names stay unless they are taken)")
        a("edit-duplicate", "D&uplicate", lambda: self._reveal(self.scene.duplicate_selection()),
          "Ctrl+D",
          "Duplicate the selection")
        a("edit-delete", "&Delete", lambda: self.scene.delete_selection(),
          [QKeySequence(QKeySequence.Delete), QKeySequence("Backspace")],
          "Delete the selection (a node goes with its links)")
        a("edit-select-all", "Select &All", self.select_all, QKeySequence.SelectAll)
        for edge, text, key in (("left", "Align &Left", "Ctrl+Shift+Left"),
                                ("right", "Align &Right", "Ctrl+Shift+Right"),
                                ("top", "Align &Top", "Ctrl+Shift+Up"),
                                ("bottom", "Align &Bottom", "Ctrl+Shift+Down"),
                                ("hcenter", "Align Centres &Horizontally", None),
                                ("vcenter", "Align Centres &Vertically", None)):
            a(f"edit-align-{edge}", text, lambda _=False, e=edge: self.scene.align(e), key)
        for axis, text in (("horizontal", "Distribute &Horizontally"),
                           ("vertical", "Distribute &Vertically")):
            a(f"edit-distribute-{axis}", text,
              lambda _=False, ax=axis: self.scene.distribute(ax))
        a("edit-connect-tool", "&Connect Tool", self.set_connect_tool, "C",
          "Drag from one node to another to link them (C switches the tool on and off)",
          checkable=True)
        a("edit-auto-layout", "Auto-&layout", lambda: self.scene.auto_layout(), "Ctrl+L",
          "Arrange every node automatically (one undo step)")
        # View
        a("view-zoom-in", "Zoom &In", lambda: self.view.zoom_in(),
          [QKeySequence(QKeySequence.ZoomIn), QKeySequence("Ctrl+=")])
        a("view-zoom-out", "Zoom &Out", lambda: self.view.zoom_out(), QKeySequence.ZoomOut)
        a("view-zoom-reset", "&Actual Size (100%)", lambda: self.view.reset_zoom(), "Ctrl+0")
        a("view-fit", "&Fit to View", lambda: self.view.fit_all(), "F",
          "Zoom to show the whole diagram")
        a("view-zoom-selection", "Zoom to &Selection", lambda: self.view.zoom_to_selection(),
          "Shift+F")
        a("view-grid", "Show &Grid", self.set_grid_visible, "Ctrl+G", checkable=True)
        a("view-snap", "S&nap to Grid", self.set_snap, "Ctrl+Shift+G",
          "Snap moved items to the grid (hold Alt while dragging to bypass)", checkable=True)
        self.action("action-view-grid").setChecked(self.settings.grid_visible())
        self.action("action-view-snap").setChecked(self.settings.snap_to_grid())
        self.theme_group = QActionGroup(self)
        self.theme_group.setExclusive(True)
        for name in themes.THEMES:
            action = a(f"view-theme-{name}", themes.THEME_LABELS[name],
                       lambda on, n=name: on and self.set_theme(n), checkable=True)
            self.theme_group.addAction(action)
            action.setChecked(name == self.theme)
        # Help
        a("help-shortcuts", "&Keyboard Shortcuts", self.show_shortcuts, "F1")
        a("help-about", "&About Outbound Designer", self.show_about)
        # dock toggles
        for dock in (self.dock_palette, self.dock_inspector, self.dock_findings,
                     self.dock_history, self.dock_overview):
            toggle = dock.toggleViewAction()
            toggle.setObjectName(f"action-view-{dock.objectName()}")
            self.actions_by_name[toggle.objectName()] = toggle
        self._refresh_icons()

    def _refresh_icons(self) -> None:
        colour = self.palette_colour()
        for name in ("zoom-in", "zoom-out", "zoom-reset", "zoom-selection", "fit", "grid",
                     "snap"):
            key = f"action-view-{name}"
            self.actions_by_name[key].setIcon(painted_icon(name, colour))
        self.actions_by_name["action-edit-auto-layout"].setIcon(painted_icon("layout", colour))
        self.actions_by_name["action-edit-connect-tool"].setIcon(painted_icon("connect", colour))
        for name in ("undo", "redo", "delete"):
            self.actions_by_name[f"action-edit-{name}"].setIcon(painted_icon(name, colour))
        self.actions_by_name["action-edit-duplicate"].setIcon(painted_icon("duplicate", colour))

    def palette_colour(self):
        return QApplication.palette().color(QPalette.WindowText)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.setObjectName("menu-file")
        for name in ("file-new", "file-open"):
            file_menu.addAction(self.action(f"action-{name}"))
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.setObjectName("menu-file-recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()
        self.examples_menu = file_menu.addMenu("&Examples")
        self.examples_menu.setObjectName("menu-file-examples")
        self._fill_examples_menu()
        file_menu.addSeparator()
        for name in ("file-save", "file-save-as", "file-revert"):
            file_menu.addAction(self.action(f"action-{name}"))
        file_menu.addSeparator()
        file_menu.addAction(self.action("action-file-quit"))

        edit = bar.addMenu("&Edit")
        edit.setObjectName("menu-edit")
        edit.addAction(self.action("action-edit-undo"))
        edit.addAction(self.action("action-edit-redo"))
        edit.addSeparator()
        for name in ("cut", "copy", "paste", "duplicate", "delete"):
            edit.addAction(self.action(f"action-edit-{name}"))
        edit.addSeparator()
        edit.addAction(self.action("action-edit-select-all"))
        edit.addAction(self.action("action-edit-connect-tool"))
        edit.addSeparator()
        align = edit.addMenu("A&lign")
        align.setObjectName("menu-edit-align")
        for edge in ("left", "right", "top", "bottom", "hcenter", "vcenter"):
            align.addAction(self.action(f"action-edit-align-{edge}"))
        distribute = edit.addMenu("D&istribute")
        distribute.setObjectName("menu-edit-distribute")
        for axis in ("horizontal", "vertical"):
            distribute.addAction(self.action(f"action-edit-distribute-{axis}"))
        edit.addAction(self.action("action-edit-auto-layout"))

        view = bar.addMenu("&View")
        view.setObjectName("menu-view")
        for name in ("zoom-in", "zoom-out", "zoom-reset", "fit", "zoom-selection"):
            view.addAction(self.action(f"action-view-{name}"))
        view.addSeparator()
        view.addAction(self.action("action-view-grid"))
        view.addAction(self.action("action-view-snap"))
        theme_menu = view.addMenu("&Theme")
        theme_menu.setObjectName("menu-view-theme")
        for name in themes.THEMES:
            theme_menu.addAction(self.action(f"action-view-theme-{name}"))
        view.addSeparator()
        docks = view.addMenu("&Panels")
        docks.setObjectName("menu-view-docks")
        for dock in (self.dock_palette, self.dock_inspector, self.dock_findings,
                     self.dock_history, self.dock_overview):
            docks.addAction(self.action(f"action-view-{dock.objectName()}"))
        self.toolbar_menu = view.addMenu("T&oolbars")
        self.toolbar_menu.setObjectName("menu-view-toolbars")

        help_menu = bar.addMenu("&Help")
        help_menu.setObjectName("menu-help")
        help_menu.addAction(self.action("action-help-shortcuts"))
        help_menu.addAction(self.action("action-help-about"))

    def _build_toolbars(self) -> None:
        groups = (("file", "File", ("file-new", "file-open", "file-save")),
                  ("edit", "Edit", ("edit-undo", "edit-redo", "edit-delete", "edit-duplicate",
                                    "edit-connect-tool", "edit-auto-layout")),
                  ("view", "View", ("view-zoom-in", "view-zoom-out", "view-zoom-reset",
                                    "view-fit", "view-zoom-selection", "view-grid",
                                    "view-snap")))
        for name, title, names in groups:
            bar = QToolBar(title, self)
            bar.setObjectName(f"toolbar-{name}")
            bar.setIconSize(QSize(20, 20))
            for action_name in names:
                bar.addAction(self.action(f"action-{action_name}"))
            self.addToolBar(Qt.TopToolBarArea, bar)
            toggle = bar.toggleViewAction()
            toggle.setObjectName(f"action-view-toolbar-{name}")
            self.actions_by_name[toggle.objectName()] = toggle
            self.toolbar_menu.addAction(toggle)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        status.setObjectName("status-bar")
        self.findings_label = QLabel()
        self.findings_label.setObjectName("status-findings")
        self.zoom_label = QLabel("100%")
        self.zoom_label.setObjectName("status-zoom")
        self.zoom_label.setMinimumWidth(56)
        self.zoom_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.zoom_label.setToolTip("Zoom level (Ctrl+wheel, Ctrl++ / Ctrl+-, F to fit)")
        status.addPermanentWidget(self.findings_label)
        status.addPermanentWidget(self.zoom_label)

    # ================================================================== documents
    def set_document(self, document: Document) -> None:
        """Show ``document``: a new scene and view on its scenario and undo stack."""
        old = self.document
        old_scene = self.scene
        if old is not None:
            self.inspector.detach()
            self.findings.detach()
            self.undo_group.removeStack(old.undo_stack)
            old.changed.disconnect(self.update_title)
        document.setParent(self)
        self.document = document
        # a file read without positions (hand-written, scripted, imported) is laid out before
        # it is drawn; not an undo step, and the file gets the positions when the user saves
        self.laid_out = lay_out_unplaced(document.scenario)
        scene = DiagramScene(document.scenario, document.undo_stack)
        scene.setParent(document)
        if self.dark:  # a scene starts light; restyling thousands of items costs seconds
            scene.set_theme(True)
        scene.grid_visible = self.action("action-view-grid").isChecked()
        scene.snap_to_grid = self.action("action-view-snap").isChecked()
        scene.connect_tool = self.action("action-edit-connect-tool").isChecked()
        scene.statusMessage.connect(self.show_status)
        scene.selectionChanged.connect(self._selection_changed)
        scene.nodeActivated.connect(self._node_activated)
        view = DiagramView(scene)
        view.setObjectName("diagram-view")
        view.zoomChanged.connect(self._zoom_changed)
        view.fileDropped.connect(self.open_path)
        old_view = self.view
        self.scene, self.view = scene, view
        # swap the view inside a permanent central holder: replacing the main window's
        # central widget would make it re-divide the space between the docks
        self.canvas_holder.layout().addWidget(view)
        if old_view is not None:
            self.canvas_holder.layout().removeWidget(old_view)
            old_view.viewport().removeEventFilter(self)
            old_view.deleteLater()
        self._set_overview(Overview(view))
        self.undo_group.addStack(document.undo_stack)
        self.undo_group.setActiveStack(document.undo_stack)
        self.inspector.set_document(document.scenario, document.undo_stack)
        self.findings.set_document(document.scenario)
        self.autosaver.set_document(document)
        document.changed.connect(self.update_title)
        document.undo_stack.indexChanged.connect(self._index_changed)  # a renamed scenario
        self.update_title()
        self._zoom_changed(view.zoom_factor())
        # fit once the view has its real size (the first resize after it is laid out)
        self._fit_pending = True
        self._fitted_size = None
        self._auto_fits = 0
        view.viewport().installEventFilter(self)
        self._fit_if_ready()
        self.live.set_document(document, scene, view)  # a run of the old document ends
        self.dock_policy.set_scene(scene)
        self.documentShown.emit()
        if old is not None:
            if old_scene is not None:
                old_scene.detach()
            old.deleteLater()

    def _set_overview(self, overview: Overview) -> None:
        layout = self.overview_holder.layout()
        if self.overview is not None:
            layout.removeWidget(self.overview)
            self.overview.deleteLater()
        overview.setObjectName("overview")
        layout.addWidget(overview)
        self.overview = overview

    # ================================================================== view and look
    def _zoom_changed(self, factor: float) -> None:
        if not self._fitting:
            self._fit_pending = False  # the user zoomed: keep their zoom from now on
        self.zoom_label.setText(f"{factor * 100:.0f}%")

    def show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, STATUS_TIMEOUT_MS)

    def set_grid_visible(self, on: bool) -> None:
        self.settings.set_grid_visible(on)
        if self.scene is not None:
            self.scene.grid_visible = on

    def set_snap(self, on: bool) -> None:
        self.settings.set_snap_to_grid(on)
        if self.scene is not None:
            self.scene.snap_to_grid = on

    def set_connect_tool(self, on: bool) -> None:
        if self.scene is not None:
            self.scene.connect_tool = on
        if on:
            self.show_status("Connect tool: drag from one node to another to link them")

    def set_theme(self, theme: str) -> None:
        self.settings.set_theme(theme)
        self.theme = theme
        self.action(f"action-view-theme-{theme}").setChecked(True)
        self.apply_theme()

    def apply_theme(self) -> None:
        self.dark = themes.resolve(self.theme)
        themes.apply(QApplication.instance(), self.dark)
        if self.scene is not None:
            self.scene.set_theme(self.dark)
        self._refresh_icons()

    def _system_scheme_changed(self, _scheme) -> None:
        if self.theme == "system":
            self.apply_theme()

    # ================================================================== help
    # ================================================================== window events
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._size_docks:
            self._size_docks = False
            self.layout().activate()
            self.resizeDocks([self.dock_palette, self.dock_inspector], [230, 400], Qt.Horizontal)
            self.resizeDocks([self.dock_findings], [110], Qt.Vertical)

    def eventFilter(self, watched, event) -> bool:
        if self.view is not None and watched is self.view.viewport() and \
                event.type() in (QEvent.Resize, QEvent.Show):
            self._fit_if_ready()
        return super().eventFilter(watched, event)

    def _fit_if_ready(self) -> None:
        """Fit a newly shown document to the view, again when the view grows or shrinks
        markedly until the user zooms (the window's first layout passes must not leave it
        small).  Scroll bars coming and going change the size by a few pixels: that never
        refits, or fitting could make them toggle forever; and a document is fitted
        automatically a few times at most."""
        viewport = self.view.viewport()
        size = (viewport.width(), viewport.height())
        if not (self._fit_pending and viewport.isVisible() and size[0] > 100 and size[1] > 100):
            return
        last = self._fitted_size
        if last is not None and (abs(size[0] - last[0]) <= FIT_SLACK_PX and
                                 abs(size[1] - last[1]) <= FIT_SLACK_PX):
            return
        self._auto_fits += 1
        if self._auto_fits > MAX_AUTO_FITS:
            self._fit_pending = False
            return
        self._fitted_size = size
        self._fitting = True
        try:
            self.view.fit_all()
        finally:
            self._fitting = False

    def closeEvent(self, event) -> None:
        if self._shut_down or self.maybe_save():
            self.shutdown()
            event.accept()
        else:
            event.ignore()

    def shutdown(self) -> None:
        """Stop timers, remove this session's autosave, remember geometry and docks."""
        if self._shut_down:
            return
        self._shut_down = True
        self.live.shutdown()  # stops and joins the simulation thread
        self.capacity.shutdown()  # cancels a comparison or sweep and joins its thread
        self.autosaver.stop()
        self.statusBar().clearMessage()  # stops the status bar's message timer
        self.findings.detach()
        self.inspector.detach()
        if self.scene is not None:
            self.scene.detach()
        try:
            QGuiApplication.styleHints().colorSchemeChanged.disconnect(
                self._system_scheme_changed)
        except (RuntimeError, TypeError):
            pass
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.settings.sync()


