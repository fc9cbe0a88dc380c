import shlex

from signclip.cli.main import main


def test_small_demo_writes_report_and_reruns_in_its_own_folder(capsys, tmp_path):
    out = tmp_path / "demo"
    argv = [
        "demo",
        "--out",
        str(out),
        "--concepts",
        "4",
        "--signers",
        "6",
        "--epochs",
        "1",
        "--no-progress",
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "held-out signers" in printed and "chance" in printed and "text → sign" in printed
    for name in ("report.md", "loss.png", "recall.png", "sign.png"):
        assert (out / "report" / name).is_file()
    assert (out / "run" / "checkpoints" / "last" / "model.safetensors").is_file()
    assert "## Try it" in (out / "report" / "report.md").read_text()

    # The search the demo suggests runs on the index it built and finds the word's signs.
    suggested = [line.strip() for line in printed.splitlines() if "signclip search" in line]
    assert len(suggested) == 1
    search = shlex.split(suggested[0])[1:]
    word = search[search.index("--text") + 1]
    assert main(search) == 0
    assert word in capsys.readouterr().out

    assert main(argv) == 0  # an earlier demo's folder is emptied and reused


def test_demo_never_empties_a_folder_it_did_not_make(capsys, tmp_path):
    keep = tmp_path / "notes.txt"
    keep.write_text("mine")
    assert main(["demo", "--out", str(tmp_path), "--no-progress"]) == 1
    assert "not made by signclip demo" in capsys.readouterr().err
    assert keep.read_text() == "mine"
