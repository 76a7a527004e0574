"""Every text the report, its tables and its figures can show, for the translation catalogues.

The report template's `_("...")` and `tf("...")` calls are found with Jinja2's own message
extractor; Python modules list their sentences in `MESSAGES` tuples. `update_catalogues`
writes `locales/messages.pot` and merges new ids into each `<language>.po` (new ones empty, for
a translator to fill), as `make messages` does; a test fails while any id lacks a translation.
"""

from __future__ import annotations

import io
import string
from importlib import import_module, resources
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from jinja2.ext import babel_extract

from ips_outcomes.definitions import OUTCOMES, QUARTERLY_BENCHMARKS

#: Modules whose `MESSAGES` tuple lists the sentences and labels they translate.
MESSAGE_MODULES: tuple[str, ...] = (
    "ips_outcomes.baseline_table",
    "ips_outcomes.benchmarks",
    "ips_outcomes.compare",
    "ips_outcomes.fidelity",
    "ips_outcomes.figure_text",
    "ips_outcomes.findings",
    "ips_outcomes.flow_plot",
    "ips_outcomes.tables",
)
TEMPLATE = "report.html.j2"


def template_messages() -> list[str]:
    """Return the message ids of the report template, in order of appearance."""
    source = resources.files("ips_outcomes").joinpath("templates", TEMPLATE).read_bytes()
    found = babel_extract(io.BytesIO(source), ("_", "tf"), [], {"trimmed": "false"})
    ids = []
    for _, _, message, _ in found:
        first = message if isinstance(message, str) else (message or (None,))[0]
        if first:
            ids.append(first)
    return ids


def data_messages() -> list[str]:
    """Return the labels that come from the package's definitions (outcomes, bands, designs)."""
    found = []
    for outcome in OUTCOMES.values():
        found += [outcome.label, outcome.definition, outcome.population.replace("_", " ")]
    found += [*QUARTERLY_BENCHMARKS, "below minimal"]
    found += ["exemplary", "good", "fair", "not IPS", "randomised", "observational"]
    return found


def all_messages() -> list[str]:
    """Return every message id, each once, in a stable order."""
    found = template_messages() + data_messages()
    for name in MESSAGE_MODULES:
        found += list(import_module(name).MESSAGES)
    return list(dict.fromkeys(m for m in found if m))


def placeholders(text: str) -> set[str]:
    """Return the `{named}` fields of a message.

    Examples
    --------
    >>> sorted(placeholders("{k} of {n} people ({share})"))
    ['k', 'n', 'share']
    """
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def update_catalogues(folder: Path, languages: tuple[str, ...] = ("sv", "fi", "nb")) -> None:
    """Write `messages.pot` and add missing ids to each language's `.po` (translations kept)."""
    template = Catalog(project="ips-outcomes", charset="utf-8")
    for message in all_messages():
        # Babel takes "95 % confidence" for a printf directive; these texts use {} fields only.
        template.add(message, flags=("python-brace-format",) if placeholders(message) else ())
    for entry in template:
        entry.flags.discard("python-format")
    with (folder / "messages.pot").open("wb") as handle:
        write_po(handle, template, width=0, omit_header=True, sort_output=True)
    for language in languages:
        path = folder / f"{language}.po"
        if path.exists():
            with path.open("rb") as handle:
                catalogue = read_po(handle, locale=language)
        else:
            catalogue = Catalog(locale=language, charset="utf-8")
        catalogue.update(template, no_fuzzy_matching=True)
        for entry in catalogue:
            entry.flags.discard("python-format")
        with path.open("wb") as handle:
            write_po(
                handle, catalogue, width=0, omit_header=True, sort_output=True, ignore_obsolete=True
            )


if __name__ == "__main__":
    update_catalogues(Path(str(resources.files("ips_outcomes").joinpath("locales"))))
