from signclip.cli.main import main


def run_cli(capsys, *argv):
    """Run `signclip ARGV` in-process: (exit code, stdout, stderr). Arguments may be paths."""
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err
