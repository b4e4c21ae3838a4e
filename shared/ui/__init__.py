"""Shared web UI kit for the services' trainer pages: server-rendered, no build step, works offline.

    from shared.ui import NavItem, UIKit
    kit = UIKit(pages=[NavItem("Console", "/ui/console")], templates_dirs=[HERE / "templates"])
    # in the service's routers(): [..., kit.router]; in a page route: return kit.render(request, "console.html", act_as=True)

See the module docs of kit.py, sse.py, sequence.py and charts.py, and the comment at the top of
templates/base.html and static/ui.js for the template blocks, macros and data-attributes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.ui.charts import svg_bar_chart, svg_line_chart
from shared.ui.kit import DEFAULT_VERSIONS, NavItem, UIKit, make_templates, trace_version, ui_router
from shared.ui.sequence import sequence_figure, svg_sequence, trace_table
from shared.ui.sse import EventHub, hub_for, sse_response

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from shared.platform import Platform


def publish(platform: Platform, topic: str, data: Any = None) -> int:
    """Tells open pages of this process that `topic` changed (safe from sync route threads)."""
    return hub_for(platform).publish(topic, data)


def publish_after_commit(platform: Platform, session: Session, topic: str, data: Any = None) -> None:
    """Like `publish`, but only once `session` commits (nothing on rollback)."""
    hub_for(platform).publish_after_commit(session, topic, data)


__all__ = [
    "DEFAULT_VERSIONS", "EventHub", "NavItem", "UIKit", "hub_for", "make_templates", "publish",
    "publish_after_commit", "sequence_figure", "sse_response", "svg_bar_chart", "svg_line_chart",
    "svg_sequence", "trace_table", "trace_version", "ui_router",
]
