"""TensorBoard event files: written by hand, read back by TensorFlow's reader."""

from __future__ import annotations

from runfixtures import make_run

from pyworker.tblog import EventWriter, crc32c, export_run


def read_events(path):
    import tensorflow as tf  # the worker's own dependency: missing it fails the test

    out = []
    for ev in tf.compat.v1.train.summary_iterator(str(path)):
        for v in ev.summary.value:
            out.append((v.tag, ev.step, v.simple_value))
    return out


def test_crc32c_known_vector():
    assert crc32c(b"123456789") == 0xE3069283


def test_event_file_parses(tmp_path):
    w = EventWriter(tmp_path / "tb")
    w.scalar("episode/return", 10, 21.5)
    w.scalar("update/loss", -1, 0.25)  # negative steps are int64 too
    w.close()
    assert w.path.name.startswith("events.out.tfevents.")
    assert read_events(w.path) == [("episode/return", 10, 21.5), ("update/loss", -1, 0.25)]


def test_export_run_writes_every_metric_once(tmp_path):
    run = make_run(tmp_path, "a", episodes=10)
    path, n = export_run(run)
    events = read_events(path)
    assert len(events) == n > 0
    tags = {t for t, _, _ in events}
    assert {"episode/return", "episode/length", "update/loss", "update/mean_q"} <= tags
    # A second export replaces the first instead of doubling the curves.
    path2, _ = export_run(run)
    files = list((run / "tb").glob("events.out.tfevents.*"))
    assert files == [path2]


def test_tensorboard_reads_the_export(tmp_path):
    """TensorBoard's own loader (what `tensorboard --logdir runs` uses) reads the files."""
    from tensorboard.backend.event_processing import event_accumulator  # the dev extra has it

    run = make_run(tmp_path, "a", episodes=10)
    export_run(run)
    acc = event_accumulator.EventAccumulator(str(run / "tb"))
    acc.Reload()
    assert "episode/return" in acc.Tags()["scalars"]
    assert "episode/episode" not in acc.Tags()["scalars"]
    returns = acc.Scalars("episode/return")
    assert len(returns) == 10 and returns[0].value > 0
