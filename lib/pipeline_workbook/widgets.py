"""Interactive pieces for the notebooks: approval buttons, an execution scrubber, a design explorer.

Each widget also carries a static view of what it shows (an SVG drawing or an HTML table) in its
display bundle, so a notebook rendered without a kernel (GitHub, nbviewer) still shows something
meaningful, and its text form is a deterministic sentence rather than a widget repr.
"""

from __future__ import annotations

import html
import io
from typing import Any, Callable

import ipywidgets as widgets

from .simulate import Simulator, format_minutes


def svg_of(drawing: Any) -> str:
    """The SVG text of a graphviz drawing (rendered by the dot program)."""
    return drawing.pipe(format="svg", encoding="utf-8")


def _svg_body(svg: str) -> str:
    """SVG text without the XML prolog and doctype, ready to sit inside HTML, scaled down to fit
    the output area when it is wider (a 12-region rollout is wider than a notebook)."""
    start = svg.find("<svg")
    body = svg[start:] if start >= 0 else svg
    return body.replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)


class StaticView:
    """Mixin: add a static SVG/HTML view and a plain sentence to a widget's display bundle."""

    def static_bundle(self) -> dict[str, str]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        data = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        data.update(self.static_bundle())
        data["text/plain"] = self.describe()
        return data


# --------------------------------------------------------------------------------------------
# Approvals


class ApprovalPanel(StaticView, widgets.VBox):
    """Approve or reject the simulator's waiting approvals with buttons; the drawing follows.

    After a decision a few simulated minutes pass (`minutes_after_decision`), so that you see
    the next stage start; "Let 1 h pass" moves the clock on by `hours_per_step`.
    """

    def __init__(self, sim: Simulator, *, hours_per_step: float = 1.0, minutes_after_decision: float = 3.0,
                 **draw_options: Any):
        self.sim = sim
        self.draw_options = draw_options
        self.hours_per_step = hours_per_step
        self.minutes_after_decision = minutes_after_decision
        self.approve_button = widgets.Button(description="Approve", button_style="success", icon="check")
        self.reject_button = widgets.Button(description="Reject", button_style="danger", icon="times")
        self.wait_button = widgets.Button(description=f"Let {hours_per_step:g} h pass", icon="clock-o")
        self.wait_button.tooltip = "Move the simulated clock on; whatever is due in that time happens"
        self.status = widgets.HTML()
        self.picture = widgets.HTML()
        self.approve_button.on_click(lambda _: self.decide(True))
        self.reject_button.on_click(lambda _: self.decide(False))
        self.wait_button.on_click(lambda _: self.wait())
        buttons = widgets.HBox([self.approve_button, self.reject_button, self.wait_button])
        super().__init__([self.status, buttons, self.picture])
        self.refresh()

    def decide(self, approve: bool) -> None:
        """What the buttons do: answer the oldest waiting approval, then let a few minutes pass."""
        waiting = self.sim.pending_approvals()
        if waiting:
            first = waiting[0]
            result = {"status": "Approved" if approve else "Rejected",
                      "summary": "Approved in the notebook" if approve else "Rejected in the notebook"}
            self.sim.put_approval_result(first["stageName"], first["actionName"], result, first["token"])
            self.sim.advance(self.minutes_after_decision)
        self.refresh()

    def wait(self) -> None:
        """Let time pass (by hours_per_step); what happens in that time happens."""
        self.sim.advance(self.hours_per_step * 60)
        self.refresh()

    def refresh(self) -> None:
        waiting = self.sim.pending_approvals()
        self.approve_button.disabled = self.reject_button.disabled = not waiting
        self.status.value = f"<b>{html.escape(self.describe())}</b>"
        self.picture.value = _svg_body(svg_of(self.sim.draw(**self.draw_options)))

    def describe(self) -> str:
        waiting = self.sim.pending_approvals()
        when = format_minutes(self.sim.now)
        if not waiting:
            latest = self.sim.latest_execution()
            state = f"latest execution {latest['status']}" if latest else "no execution yet"
            return f"{when}: no approval is waiting ({state})."
        names = ", ".join(f"{w['stageName']}.{w['actionName']}" for w in waiting)
        return f"{when}: {len(waiting)} approval{'s' if len(waiting) > 1 else ''} waiting: {names}."

    def static_bundle(self) -> dict[str, str]:
        return {"image/svg+xml": svg_of(self.sim.draw(**self.draw_options))}


# --------------------------------------------------------------------------------------------
# Scrubbing through an execution's history


class Scrubber(StaticView, widgets.VBox):
    """A time slider over a simulator's history: the pipeline redrawn as it was at each moment."""

    def __init__(self, sim: Simulator, *, start: float = 0.0, end: float | None = None, steps: int = 60,
                 **draw_options: Any):
        self.sim = sim
        self.draw_options = draw_options
        end = sim.now if end is None else end
        step = max((end - start) / max(steps, 1), 1e-6)
        self.slider = widgets.FloatSlider(value=end, min=start, max=end, step=step, readout=False,
                                          continuous_update=False, description="time",
                                          layout=widgets.Layout(width="95%"))
        self.play = widgets.Play(min=0, max=steps, step=1, interval=400, value=steps)
        self.caption = widgets.HTML()
        self.picture = widgets.HTML()
        self._start, self._step = start, step
        self.play.observe(self._on_play, names="value")
        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        super().__init__([widgets.HBox([self.play, self.slider]), self.caption, self.picture])
        self.show(end)

    def _on_play(self, change: dict) -> None:
        self.slider.value = min(self._start + change["new"] * self._step, self.slider.max)

    def show(self, minute: float) -> None:
        """Redraw the pipeline as it was at `minute`."""
        self.caption.value = html.escape(self._caption(minute))
        self.picture.value = _svg_body(svg_of(self.sim.draw(at=minute, **self.draw_options)))

    def _caption(self, minute: float) -> str:
        running = [e for e in self.sim.executions()
                   if e["startTime"] <= self.sim._time(minute) and e["lastUpdateTime"] > self.sim._time(minute)]
        return f"{format_minutes(minute)}: {len(running)} execution{'s' if len(running) != 1 else ''} in progress"

    def describe(self) -> str:
        return (f"Scrubber over {self.sim.pipeline.name} from {format_minutes(self.slider.min)} "
                f"to {format_minutes(self.slider.max)}; showing {format_minutes(self.slider.value)}.")

    def static_bundle(self) -> dict[str, str]:
        return {"image/svg+xml": svg_of(self.sim.draw(at=self.slider.value, **self.draw_options))}


# --------------------------------------------------------------------------------------------
# Exploring a design space


def figure_svg(figure: Any) -> str:
    """A matplotlib figure as SVG text, without metadata that changes from run to run."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "codepipeline-workbook"}):  # stable element ids
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


class Explorer(StaticView, widgets.VBox):
    """Controls on the left, a computed view below: change a control, the view is recomputed.

    compute(**values) returns anything with `_repr_html_` (a table), a matplotlib Figure, a
    graphviz drawing, or a tuple of those, shown one after the other.
    """

    def __init__(self, compute: Callable[..., Any], controls: dict[str, widgets.ValueWidget], *,
                 title: str = ""):
        self.compute = compute
        self.controls = controls
        self.title = title
        self.view = widgets.HTML()
        for control in controls.values():
            control.observe(lambda _: self.update(), names="value")
        header = [widgets.HTML(f"<b>{html.escape(title)}</b>")] if title else []
        super().__init__(header + [widgets.HBox(list(controls.values())), self.view])
        self.update()

    def values(self) -> dict[str, Any]:
        return {name: control.value for name, control in self.controls.items()}

    def update(self) -> None:
        self._result = self.compute(**self.values())
        self.view.value = self._html(self._result)

    @staticmethod
    def _parts(result: Any) -> list[Any]:
        return list(result) if isinstance(result, tuple) else [result]

    def _html(self, result: Any) -> str:
        out = []
        for part in self._parts(result):
            if hasattr(part, "savefig"):
                out.append(_svg_body(figure_svg(part)))
            elif hasattr(part, "pipe"):
                out.append(_svg_body(svg_of(part)))
            elif hasattr(part, "_repr_html_"):
                out.append(part._repr_html_())
            else:
                out.append(f"<pre>{html.escape(repr(part))}</pre>")
        return "\n".join(out)

    def describe(self) -> str:
        settings = ", ".join(f"{name}={value!r}" for name, value in self.values().items())
        text = [f"{self.title or 'Explorer'} ({settings})"]
        text += [repr(part) for part in self._parts(self._result) if hasattr(part, "_repr_html_")]
        return "\n".join(text)

    def static_bundle(self) -> dict[str, str]:
        return {"text/html": self._html(self._result)}
