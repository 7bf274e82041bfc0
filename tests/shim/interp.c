/*
 * Another interposer preloaded after libhipsched.so: its puts() finds the
 * next puts with dlsym(RTLD_NEXT). If the library's dlsym searched after
 * itself instead of after the caller, this puts would find itself and
 * recurse until the stack ends.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

int puts(const char *s)
{
	int (*next)(const char *) = (int (*)(const char *))dlsym(RTLD_NEXT, "puts");
	static const char msg[] = "interp: puts\n";
	ssize_t w = write(2, msg, sizeof(msg) - 1);
	(void)w;
	return next ? next(s) : -1;
}
