/* libFuzzer: the auto trace reader through trace_import_load(). */
#include <string.h>
#include "traces_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	fuzz_import(data, n, TRACE_FMT_AUTO, TRACE_SPLIT_AUTO);
	return 0;
}
