/* SPDX-License-Identifier: MIT */
/* gc.c: coord.gc(), listing (and removing) the /dev/shm segments of dead coord processes. */
#include "pycoord.h"

static int gc_entry(const coord_gc_entry *e, void *arg)
{
    /* The name is a file's (or a header's) bytes, anything but '/' and
     * NUL: decoded as os.listdir() decodes names (surrogateescape), not
     * as UTF-8, which one stray file would make every gc() call fail. */
    PyObject *name = PyUnicode_DecodeFSDefault(e->name);
    if (!name)
        return 1;
    /* "z": None for a file not found aside / not kept aside. */
    PyObject *d = Py_BuildValue(
        "{sNsisKsssssOssszsz}", "name", name, "creator_pid", e->creator_pid,
        "size", (unsigned long long)e->size, "kind", e->kind ? e->kind : "?",
        "state", coord_gc_state_name(e->state), "removed",
        e->removed ? Py_True : Py_False, "outcome",
        coord_gc_outcome_name(e->outcome), "found_aside",
        e->found_aside[0] ? e->found_aside : NULL, "aside",
        e->aside[0] ? e->aside : NULL);
    if (!d)
        return 1;
    int r = PyList_Append(arg, d);
    Py_DECREF(d);
    return r < 0 ? 1 : 0;
}

static PyObject *mod_gc(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"remove", "prefix", NULL};
    int remove = 0;
    const char *prefix = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|p$z:gc", kwlist, &remove, &prefix))
        return NULL;
    PyObject *list = PyList_New(0);
    if (!list)
        return NULL;
    int r = coord_gc_prefix(prefix, remove, gc_entry, list);
    if (PyErr_Occurred() || r < 0) {
        Py_DECREF(list);
        return r < 0 && !PyErr_Occurred() ? pc_raise(r, "gc") : NULL;
    }
    return list;
}

static PyMethodDef gc_methods[] = {
    {"gc", PC_METH(mod_gc), METH_VARARGS | METH_KEYWORDS,
     "gc(remove=False, *, prefix=None) -> list of dicts (name, creator_pid, size, "
     "kind, state, removed, outcome, found_aside, aside): the coord segments in "
     "/dev/shm; with remove=True those whose creator is dead are unlinked "
     "(outcome: what the removal did, as coord gc --json says it). found_aside: "
     "the private name a killed gc left the file under (None if none); with "
     "remove=True such a file goes back under its name unless removable. "
     "aside: the private name the file stays under, or None. Without a "
     "prefix, the socket directories of killed managers (coord-mgr-XXXXXX "
     "under $TMPDIR and /tmp) are listed (and removed) too: kind "
     "'manager-dir', name their path."},
    {NULL, NULL, 0, NULL}};

int pc_gc_add(PyObject *m)
{
    return PyModule_AddFunctions(m, gc_methods);
}
