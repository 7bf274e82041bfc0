/*
 * hw/shim/dlsym.c: the dlsym hook of libhipsched.so, one for both platform
 * layers. A library that finds the runtime by dlopen + dlsym (instead of a
 * link-time reference, which the preloaded wrappers catch) gets the
 * wrapper: the real dlsym answers, then shim__plat_dlsym() of the platform
 * layer (hip.c or cuda.c) swaps a real function it intercepts for its
 * wrapper.
 *
 * RTLD_NEXT: glibc resolves it relative to the object that called dlsym,
 * found from the return address. A lookup that cannot be the platform's
 * is therefore a tail call (the real dlsym sees the application's caller,
 * not us: an interposer loaded after us that looks for its own next
 * definition finds it). Platform names come back from the search after
 * this library, which holds only the real runtime and what follows it:
 * the answer is swapped for our wrapper anyway.
 */
#include <dlfcn.h>
#include <stddef.h>
#include "shim_internal.h"

typedef void *(*dlsym_fn)(void *, const char *);

static dlsym_fn real_dlsym;

/* dlvsym is not interposed: it reaches glibc's dlsym by its version
 * (GLIBC_2.34 since dlsym moved into libc, GLIBC_2.2.5 before on x86-64,
 * GLIBC_2.17 on aarch64). */
void *(*shim__real_dlsym(void))(void *, const char *)
{
	static const char *const vers[] = { "GLIBC_2.34", "GLIBC_2.2.5", "GLIBC_2.17" };
	dlsym_fn f = __atomic_load_n(&real_dlsym, __ATOMIC_ACQUIRE);
	for (size_t i = 0; !f && i < sizeof vers / sizeof vers[0]; i++)
		f = (dlsym_fn)dlvsym(RTLD_NEXT, "dlsym", vers[i]);
	if (f)
		__atomic_store_n(&real_dlsym, f, __ATOMIC_RELEASE);
	return f;
}

/* A name the platform layers may intercept: HIP's (hip..., and mangled
 * C++ names holding "hip") and the CUDA driver's (cu...). */
static int maybe_platform(const char *name)
{
	if (!name)
		return 0;
	if (name[0] == 'c' && name[1] == 'u')
		return 1;
	for (const char *p = name; *p; p++)
		if (p[0] == 'h' && p[1] == 'i' && p[2] == 'p')
			return 1;
	return 0;
}

/* SHIM_DLSYM_GLIBC_VERSIONS (a library whose other exports are versioned,
 * as the AMD one: hw/shim/hip.map): exported as dlsym@@GLIBC_2.34 and
 * dlsym@GLIBC_2.2.5, the versions applications reference (a versioned
 * reference binds only to a definition of that version, or to an
 * unversioned one in a library without versions: the NVIDIA one). Built at
 * -O2 whatever the flavour, for the tail call. */
#ifdef SHIM_DLSYM_GLIBC_VERSIONS
#define SHIM_DLSYM shim__dlsym
void *shim__dlsym(void *handle, const char *name)
	__attribute__((visibility("default")));
void *shim__dlsym_2_2_5(void *handle, const char *name)
	__attribute__((visibility("default"), alias("shim__dlsym")));
__asm__(".symver shim__dlsym, dlsym@@GLIBC_2.34");
__asm__(".symver shim__dlsym_2_2_5, dlsym@GLIBC_2.2.5");
#else
#define SHIM_DLSYM dlsym
__attribute__((visibility("default"))) void *dlsym(void *handle, const char *name);
#endif

void *SHIM_DLSYM(void *handle, const char *name)
{
	dlsym_fn f = shim__real_dlsym();
	if (!f)
		return NULL;
	if (!maybe_platform(name))
		return f(handle, name);        /* tail call: keeps the caller */
	void *p = f(handle, name);
	return p ? shim__plat_dlsym(name, p) : NULL;
}
