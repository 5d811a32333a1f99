"""The notebooks' widgets drive the simulator and keep a static view for renderers without a kernel."""

import ipywidgets as w

from pipeline_workbook import metrics, patterns
from pipeline_workbook.simulate import Simulator
from pipeline_workbook.widgets import ApprovalPanel, Explorer, Scrubber, figure_svg
from pipeline_workbook.world import World


def waiting_simulator():
    sim = Simulator(patterns.manual_acceptance(), World(seed=4), seed=4)
    run = sim.start()
    sim.run()
    return sim, run


def test_approve_button_moves_the_execution_on_and_redraws():
    sim, run = waiting_simulator()
    panel = ApprovalPanel(sim)
    assert "1 approval waiting: Approval.Approve" in panel.describe()
    before = panel.picture.value
    panel.approve_button.click()
    # a few minutes pass: the execution moved on into Production, which is now in progress
    assert sim.execution(run)["status"] == "InProgress"
    production = [s for s in sim.state()["stageStates"] if s["stageName"] == "Production"][0]
    assert production["latestExecution"]["status"] == "InProgress"
    assert panel.approve_button.disabled and panel.reject_button.disabled
    assert "no approval is waiting" in panel.describe()
    assert panel.picture.value != before and "In progress" in panel.picture.value
    panel.wait_button.click()
    assert sim.execution(run)["status"] == "Succeeded"


def test_reject_button_fails_the_execution():
    sim, run = waiting_simulator()
    panel = ApprovalPanel(sim)
    panel.reject_button.click()
    sim.run()
    assert sim.execution(run)["status"] == "Failed"
    assert sim.pending_approvals() == []


def test_wait_button_lets_time_pass():
    sim, _ = waiting_simulator()
    panel = ApprovalPanel(sim, hours_per_step=2)
    now = sim.now
    panel.wait_button.click()
    assert sim.now == now + 120


def test_display_bundle_has_a_static_drawing_and_a_sentence():
    sim, _ = waiting_simulator()
    bundle = ApprovalPanel(sim)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml") and "Approval" in bundle["image/svg+xml"]
    assert bundle["text/plain"].endswith("waiting: Approval.Approve.")


def test_scrubber_redraws_the_pipeline_at_earlier_moments():
    sim, _ = waiting_simulator()
    sim.approve()
    sim.run()
    scrubber = Scrubber(sim, steps=10)
    final = scrubber.picture.value
    scrubber.slider.value = scrubber.slider.min + 1
    assert scrubber.picture.value != final
    assert "1 execution in progress" in scrubber.caption.value
    scrubber.play.value = 0
    assert scrubber.slider.value == scrubber.slider.min
    scrubber.play.value = 10
    assert scrubber.slider.value == scrubber.slider.max
    assert scrubber.describe().startswith("Scrubber over wb-manual-acceptance")


def test_explorer_recomputes_when_a_control_changes():
    calls = []

    def compute(bake):
        calls.append(bake)
        return metrics.compare({"rollout": patterns.phased_rollout(bake_minutes=bake)}, commits=100, seed=1)

    slider = w.IntSlider(value=60, min=0, max=120, step=30)
    explorer = Explorer(compute, {"bake": slider}, title="Bake time")
    slider.value = 0
    assert calls == [60, 0]
    assert "<table>" in explorer.view.value
    assert explorer.describe().startswith("Bake time (bake=0)")
    assert explorer._repr_mimebundle_()["text/html"] == explorer.view.value


def test_matplotlib_svg_is_the_same_twice():
    comparison = metrics.compare({"a": patterns.simple_but_bold()}, commits=50, seed=1)
    assert figure_svg(comparison.plot()) == figure_svg(comparison.plot())
