/* tests/shim/hip_next_b.c: libnext_b.so, the definition after libnext_a.so's. */
int probe_fn(void);

int probe_fn(void)
{
	return 1;
}
