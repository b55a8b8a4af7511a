"""Every notebook runs top to bottom on a fresh kernel, draws at least one figure, and is stored without outputs."""

from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def test_the_notebooks_are_numbered_in_teaching_order():
    numbers = [int(path.name[:2]) for path in NOTEBOOKS]
    assert numbers == list(range(1, len(NOTEBOOKS) + 1)) and len(NOTEBOOKS) >= 8


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: cell {index} has outputs"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    client.execute()
    figures = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
               if "image/png" in output.get("data", {})]
    assert figures, f"{path.name} drew no figure"
    assert not _unexpected_warnings(notebook), f"{path.name}: {_unexpected_warnings(notebook)}"


def _unexpected_warnings(notebook):
    """Warnings a cell printed (its stderr) where the text cell before it does not say that a warning is expected:
    in class, a warning nobody explains reads as something broken."""
    unexpected, text_before = [], ""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            text_before = cell.source.lower()
            continue
        for output in cell.outputs:
            said = output.get("text", "") if output.get("name") == "stderr" else ""
            if "warning" in said.lower() and not ("warning" in text_before and "expected" in text_before):
                unexpected.append(f"cell {index}: {said[:300]}")
        text_before = ""
    return unexpected


def test_a_warning_in_a_notebook_is_allowed_only_where_the_text_before_it_expects_it():
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.v4.new_notebook()
    cells = [nbformat.v4.new_markdown_cell("The warning in the next cell's output is expected: it names the way out."),
             nbformat.v4.new_code_cell("explained()"), nbformat.v4.new_code_cell("unexplained()")]
    for cell, text in zip(cells[1:], ("UserWarning: explained\n", "UserWarning: unexplained\n")):
        cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text=text),
                        nbformat.v4.new_output("stream", name="stdout", text="a warning printed to stdout\n")]
    notebook.cells = cells
    assert _unexpected_warnings(notebook) == ["cell 2: UserWarning: unexplained\n"]
