/*
 * A held caller lets go of Python's GIL while it waits.
 *
 * PyTorch launches with the GIL held. A thread held in shim__begin (its
 * queue suspended, or at its threshold) that kept the GIL would stop every
 * other Python thread of the process, the one feeding the high-priority
 * stream included: that stream would drain, and the policy would resume
 * the held one, so priorities between threads of one Python process would
 * mean nothing. So, when the process is a running Python interpreter and
 * the held thread holds the GIL, it releases it (PyEval_SaveThread) for
 * the wait and takes it back (PyEval_RestoreThread) after, without the
 * engine's lock (the GIL's holder may be launching). Python's functions
 * are found with dlsym(RTLD_DEFAULT) (the interpreter exports them); none
 * is linked. HIPSCHED_PY_GIL=0 keeps the GIL while held.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include "engine_internal.h"

static struct {
	int (*initialized)(void);       /* Py_IsInitialized */
	int (*gil_check)(void);         /* PyGILState_Check */
	void *(*tstate)(void);          /* the thread's state, NULL if detached */
	void *(*save)(void);            /* PyEval_SaveThread */
	void (*restore)(void *);        /* PyEval_RestoreThread */
} py;
static int py_on;

void shim__py_init(void)
{
	const char *v = getenv("HIPSCHED_PY_GIL");
	if (v && *v == '0')
		return;
	*(void **)&py.initialized = dlsym(RTLD_DEFAULT, "Py_IsInitialized");
	*(void **)&py.gil_check = dlsym(RTLD_DEFAULT, "PyGILState_Check");
	*(void **)&py.save = dlsym(RTLD_DEFAULT, "PyEval_SaveThread");
	*(void **)&py.restore = dlsym(RTLD_DEFAULT, "PyEval_RestoreThread");
	/* 3.13 and later / 3.5 to 3.12 */
	*(void **)&py.tstate = dlsym(RTLD_DEFAULT, "PyThreadState_GetUnchecked");
	if (!py.tstate)
		*(void **)&py.tstate = dlsym(RTLD_DEFAULT, "_PyThreadState_UncheckedGet");
	py_on = py.initialized && py.gil_check && py.save && py.restore && py.tstate;
	if (py_on && g_eng.conf.log)
		shim__log("python: held threads release the GIL");
}

void *shim__py_release(void)
{
	if (!py_on || !py.initialized() || !py.tstate() || !py.gil_check())
		return NULL;
	return py.save();
}

void shim__py_restore(void *ts)
{
	if (ts)
		py.restore(ts);
}
