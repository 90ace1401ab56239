#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the scdoc sources of the man pages at build time, from the one
place each fact lives, so the pages cannot drift:
  coord(1): `coord --help` and the tool's option tables (`coord help
    --options-json`, from cli/), laid out as NAME, SYNOPSIS, one section
    per command with its usage, description and every option.
  libcoord(3): the library overview of README.md ("## The library": error
    convention, the objects, sharing, crashes) and, per public header in
    include/coord/, every function's prototype and its documented contract
    (the comment above it); ERRORS lists every code of errno.h's table.
scdoc(1) turns them into man(7) pages (cmake/man.cmake).
Usage: gen-man.py COORD SRC OUTDIR VERSION"""
import os
import re
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coordhelp  # noqa: E402


ASCII = {"\u2192": "->", "\u2190": "<-", "\u2026": "...", "\u2014": "--",
         "\u2013": "-", "\u00b5": "u", "\u03bc": "u", "\u00d7": "x",
         "\u2264": "<=", "\u2265": ">=", "\u2212": "-", "\u2019": "'",
         "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "}


def ascii_only(text):
    """The pages are plain ASCII, so that they render without warnings in
    any locale (groff in the C locale has no glyph for an arrow)."""
    text = "".join(ASCII.get(c, c) for c in text)
    return unicodedata.normalize("NFKD", text).encode("ascii", "replace").decode()


def esc(text):
    """Plain text for scdoc: its markup characters taken literally."""
    return re.sub(r"([\\*_])", r"\\\1", text)


def term(spec):
    """An option's term line: options bold, argument names underlined."""
    out = []
    for tok in re.split(r"(\s+|,|/)", spec.strip()):
        if tok.startswith("-"):
            out.append("*" + esc(tok) + "*")
        elif re.fullmatch(r"[A-Za-z][\w|.-]*", tok or "-"):
            out.append("_" + esc(tok) + "_")
        else:
            out.append(esc(tok))
    return "".join(out)


OPT_LINE = re.compile(r"^(\s+)(-\S.*?)(?:\s{2,}(\S.*))?$")


def help_body(text):
    """A command's --help (after its usage) as scdoc: prose paragraphs,
    option entries, and indented tables kept as they are."""
    out, literal = [], []
    opt = None  # [indent, term, description words]

    def flush_opt():
        nonlocal opt
        if opt:
            out.append(term(opt[1]) + "\n\t" + esc(" ".join(opt[2])) + "\n")
            opt = None

    def flush_literal():
        if literal:
            out.append("```\n" + "\n".join(literal) + "\n```\n")
            literal.clear()

    for para in re.split(r"\n\s*\n", text.strip("\n")):
        lines = para.split("\n")
        if all(not line.startswith(" ") for line in lines):
            flush_opt()
            flush_literal()
            out.append(esc(" ".join(line.strip() for line in lines)) + "\n")
            continue
        for line in lines:
            m = OPT_LINE.match(line)
            if m:
                flush_opt()
                flush_literal()
                opt = [len(m.group(1)), m.group(2), [m.group(3)] if m.group(3) else []]
            elif opt and line.startswith(" ") and len(line) - len(line.lstrip()) > opt[0]:
                opt[2].append(line.strip())
            elif line.startswith(" "):
                flush_opt()
                literal.append(line.rstrip())
            else:
                flush_opt()
                flush_literal()
                out.append(esc(line.strip()) + "\n")
        flush_opt()
        flush_literal()
    return "\n".join(out)


def synopsis_lines(name, synopsis, width=78):
    """`coord NAME SYNOPSIS` wrapped at `width`, never inside a bracket."""
    lead = "coord %s " % name
    if "\n" in synopsis:  # laid out by hand for "usage: coord NAME "
        first, *rest = synopsis.split("\n")
        cut = len("usage: ")
        return [(lead + first).rstrip()] + [
            (line[cut:] if line[:cut].isspace() else line).rstrip()
            for line in rest]
    lines, line = [], lead.rstrip()
    for item in re.findall(r"\[[^\]]*\]|\([^)]*\)|\S+", synopsis):
        if len(line) + 1 + len(item) > width and line.strip() != lead.strip():
            lines.append(line)
            line = " " * len(lead) + item
        else:
            line += " " + item
    return lines + [line]


def coord_page(coord, version):
    top = coordhelp.run(coord, "--help")
    paras = re.split(r"\n\s*\n", top.strip())
    tagline = paras[1].strip().rstrip(".")
    s = ["coord(1) \"coord %s\"\n" % version,
         "# NAME\n", "coord - %s\n" % esc(tagline[0].lower() + tagline[1:]),
         "# SYNOPSIS\n",
         "*coord* [*--help* | *--version*] _COMMAND_ [_OPTIONS_]\n",
         "*coord* _COMMAND_ *--help*\n",
         "*coord help* [_COMMAND_]\n",
         "# DESCRIPTION\n", esc(paras[1].strip()) + "\n",
         "Each command is described below, with every option of its option "
         "table (the same table parses the command line and writes "
         "*coord* _COMMAND_ *--help*). Options take their value as "
         "*--name value* or *--name=value*; *--* ends the options. Numbers "
         "are whole and may end in k, M or G (10^3, 10^6, 10^9). A mistyped "
         "command or option is a usage error that names the closest one. "
         "The commands are:\n"]
    cmds = coordhelp.tables(coord)
    for c in cmds:
        s.append("*%s*\n\t%s\n" % (c["name"], esc(c["summary"])))
    s.append("*--help*, *-h*\n\tlist the commands and exit\n")
    s.append("*--version*, *-V*\n\tprint the version and exit\n")
    s.append("# COMMANDS\n")
    for c in cmds:
        s.append("## coord %s\n" % c["name"])
        s.append(esc(sentence(c["summary"])) + ".\n")
        s.append("```\n" + "\n".join(synopsis_lines(c["name"], c["synopsis"]))
                 + "\n```\n")
        if c["about"]:
            s.append(help_body(c["about"]))
        group = None
        s.append("Options:\n")
        for o in c["options"]:
            if o["group"] and o["group"] != group:
                s.append(esc(sentence(o["group"])) + ":\n")
            group = o["group"]
            s.append(term(coordhelp.term(o)) + "\n\t"
                     + esc(coordhelp.description(o)) + "\n")
        if c["epilog"]:
            s.append(help_body(c["epilog"]))
    s.append("# EXIT STATUS\n")
    s.append(esc(paras[-1].split("Exit status:", 1)[-1].strip()) + "\n")
    s.append("# SEE ALSO\n")
    s.append("*libcoord*(3); the README and docs/ of the source tree.\n")
    return "\n".join(s)


def sentence(text):
    """Capitalised, unless it starts with an identifier (coord_mpi_search)."""
    first = text.split(" ", 1)[0]
    return text if "_" in first else text[0].upper() + text[1:]


def md_inline(text):
    """README Markdown inline markup to scdoc."""
    parts = re.split(r"(\*\*[^*]+\*\*|`[^`]+`|\[[^\]]+\]\([^)]+\))", text)
    out = []
    for p in parts:
        if p.startswith("**") and p.endswith("**"):
            out.append("*" + esc(p[2:-2]) + "*")
        elif p.startswith("`") and p.endswith("`"):
            out.append("*" + esc(p[1:-1]) + "*")
        elif p.startswith("[") and "](" in p:
            out.append(esc(p[1:p.index("](")]))
        else:
            out.append(esc(p))
    return "".join(out)


def readme_library(src):
    text = open(os.path.join(src, "README.md"), encoding="utf-8").read()
    m = re.search(r"^## The library\n(.*?)(?=^## )", text, re.S | re.M)
    if not m:
        raise SystemExit("gen-man: README.md has no '## The library' section")
    out = []
    for para in re.split(r"\n\s*\n", m.group(1).strip()):
        lines = para.split("\n")
        if lines[0].startswith("|"):
            for row in lines:
                cells = [c.strip() for c in row.strip().strip("|").split("|")]
                if len(cells) < 2 or set(cells[0]) <= set("-: ") or cells[0] == "header":
                    continue
                out.append(md_inline(cells[0]) + "\n\t" + md_inline(" | ".join(cells[1:])) + "\n")
        else:
            out.append(md_inline(" ".join(line.strip() for line in lines)) + "\n")
    return "\n".join(out)


DECL = re.compile(r"^(?:COORD_EXTERN|static inline)\s+(.*?)\b(coord_\w+)\s*\(", re.S)


def header_functions(path):
    """(summary line, [(name, prototype, contract)]) of a public header."""
    text = open(path, encoding="utf-8").read()
    name = os.path.basename(path)
    summary = re.search(r"/\* %s: (.*?) \*/" % re.escape(name), text, re.S).group(1)
    funcs, comment = [], None
    pos = 0
    for m in re.finditer(r"/\*(.*?)\*/|^(?:COORD_EXTERN|static inline)[^;{]*", text, re.S | re.M):
        if m.group(1) is not None:
            comment, pos = m.group(1), m.end()
            continue
        d = DECL.match(m.group(0))
        if not d:
            continue
        proto = " ".join(m.group(0).replace("COORD_EXTERN", "").split()).strip()
        attached = comment if comment and not text[pos:m.start()].strip() else None
        funcs.append((d.group(2), proto, attached))
        comment = None
    return " ".join(summary.split()).rstrip("."), funcs


def comment_text(comment):
    """A header comment as scdoc: prose joined, indented code kept."""
    prose, out, code = [], [], []
    for raw in comment.split("\n"):
        line = re.sub(r"^\s*\* ?", "", raw.rstrip())
        if line.startswith("   ") or (code and line.startswith("  ")):
            if prose:
                out.append(esc(" ".join(prose)))
                prose = []
            code.append(line)
            continue
        if code:
            out.append("```\n" + "\n".join(code) + "\n```")
            code = []
        if line.strip():
            prose.append(line.strip())
        elif prose:
            out.append(esc(" ".join(prose)))
            prose = []
    if code:
        out.append("```\n" + "\n".join(code) + "\n```")
    if prose:
        out.append(esc(" ".join(prose)))
    return out


def libcoord_page(src, version):
    umbrella = open(os.path.join(src, "include", "coord.h"), encoding="utf-8").read()
    headers = re.findall(r'#include "coord/([\w.]+)"', umbrella)
    pc = open(os.path.join(src, "coord.pc.in"), encoding="utf-8").read()
    what = re.search(r"^Description: (.*)$", pc, re.M).group(1)
    s = ["libcoord(3) \"coord %s\"\n" % version,
         "# NAME\n", "libcoord - %s\n" % esc(what[0].lower() + what[1:]),
         "# SYNOPSIS\n", "*#include <coord.h>*\n",
         "*cc* _file.c_ *$(pkg-config --cflags --libs coord)*\n",
         "# DESCRIPTION\n", readme_library(src),
         "# FUNCTIONS\n",
         "Each header's functions, with the contract written above each "
         "in the header (concurrency, progress, ownership, return codes).\n"]
    # Then the headers <coord.h> leaves out (such as mpi.h, which needs MPI).
    others = sorted(set(os.listdir(os.path.join(src, "include", "coord")))
                    - set(headers))
    for h in headers + [o for o in others if o.endswith(".h")]:
        summary, funcs = header_functions(os.path.join(src, "include", "coord", h))
        s.append("## <coord/%s>\n" % h)
        s.append(esc(sentence(summary)) + ".\n")
        if h not in headers:
            s.append("Not included by *<coord.h>*: include it by itself.\n")
        for i, (name, proto, comment) in enumerate(funcs):
            # "See the function above" needs one above in this header (the
            # page runs every header together: above would be another's).
            if not comment and not any(c for _, _, c in funcs[:i]):
                raise SystemExit("gen-man: %s in include/coord/%s has no comment of its "
                                 "own and no commented function above it" % (name, h))
            s.append("*%s*\n" % esc(proto))
            if comment:
                for block in comment_text(comment):
                    if block.startswith("```"):
                        s.append(block + "\n")
                    else:
                        s.append("\t" + block + "\n")
            else:
                s.append("\tSee the function above.\n")
    s.append(errors_section(src))
    s.append("# SEE ALSO\n")
    s.append("*coord*(1); the headers in _include/coord/_ of the installation.\n")
    return "\n".join(s)


ERRNO_ROW = re.compile(r'^\s*X\((\w+),\s*(-?\w+),\s*"([^"]*)"\)', re.M)


def errors_section(src):
    """ERRORS: every code of errno.h's COORD_ERRNO_MAP, the table that
    makes the enum, coord_strerror() and coord_err_name(), so the codes the
    contracts above name are all explained here."""
    text = open(os.path.join(src, "include", "coord", "errno.h"), encoding="utf-8").read()
    rows = ERRNO_ROW.findall(text)
    if not rows:
        raise SystemExit("gen-man: include/coord/errno.h has no COORD_ERRNO_MAP rows")
    s = ["# ERRORS\n",
         "The negative codes coord functions return (*coord\\_strerror()* gives the text "
         "below, *coord\\_err\\_name()* the name): system errors are the negated errno "
         "value, coord's own codes lie below -4000. *COORD\\_PILL* (1) and "
         "*COORD\\_RECOVERED* (2) are results, not errors (see <coord/errno.h> above).\n"]
    for name, value, what in rows:
        s.append("*%s* (%s)\n\t%s\n" % (esc("COORD_" + name), esc(value), esc(what)))
    return "\n".join(s)


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    coord, src, outdir, version = sys.argv[1:5]
    write(os.path.join(outdir, "coord.1.scd"), ascii_only(coord_page(coord, version)))
    write(os.path.join(outdir, "libcoord.3.scd"), ascii_only(libcoord_page(src, version)))


if __name__ == "__main__":
    main()
