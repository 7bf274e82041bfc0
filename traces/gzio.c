/*
 * gzip-transparent files for traces/: a reader sees plain bytes whether the
 * file is gzip-compressed or not (PyTorch profiler traces are usually kept
 * as .json.gz), and an output whose name ends in ".gz" is written
 * compressed. Both are ordinary stdio FILE streams (glibc's fopencookie
 * over zlib's gzFile), so the readers and writers above them do not know.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include "trace_internal.h"

static ssize_t gz_read(void *c, char *buf, size_t n)
{
	if (n > (1u << 30))
		n = 1u << 30;
	int got = gzread(c, buf, (unsigned)n), zerr = Z_OK;
	if (got == 0)
		gzerror(c, &zerr);  /* a truncated stream ends with Z_BUF_ERROR */
	if (got < 0 || zerr != Z_OK) {
		errno = EILSEQ;  /* corrupt or truncated compressed data */
		return -1;
	}
	return got;
}

static ssize_t gz_write(void *c, const char *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		unsigned chunk = n - done > (1u << 30) ? 1u << 30 : (unsigned)(n - done);
		int put = gzwrite(c, buf + done, chunk);
		if (put <= 0) {
			errno = EIO;
			return -1;
		}
		done += (size_t)put;
	}
	return (ssize_t)n;
}

static int gz_close(void *c)
{
	int rc = gzclose(c);
	if (rc != Z_OK) {
		errno = rc == Z_BUF_ERROR ? EILSEQ : EIO;
		return -1;
	}
	return 0;
}

int trace__is_gz_name(const char *path)
{
	size_t n = strlen(path);
	return n > 3 && strcmp(path + n - 3, ".gz") == 0;
}

FILE *trace__fopen_read(const char *path, struct trace_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		trace__fail(err, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		trace__fail(err, "%s: is a directory, not a trace file", path);
		return NULL;
	}
	unsigned char magic[2] = { 0, 0 };
	size_t got = fread(magic, 1, 2, f);
	if (got < 2 || magic[0] != 0x1f || magic[1] != 0x8b) {
		rewind(f);
		return f;
	}
	fclose(f);
	gzFile z = gzopen(path, "rb");
	if (!z) {
		trace__fail(err, "%s: cannot open: %s", path,
			    strerror(errno ? errno : ENOMEM));
		return NULL;
	}
	gzbuffer(z, 1 << 17);
	static const cookie_io_functions_t io = { .read = gz_read,
						  .close = gz_close };
	FILE *cf = fopencookie(z, "rb", io);
	if (!cf) {
		trace__fail(err, "%s: out of memory", path);
		gzclose(z);
	}
	return cf;
}

FILE *trace__fopen_write(const char *path, int gz)
{
	if (!gz)
		return fopen(path, "wb");
	/* level 6 (zlib's default): a canonical CSV shrinks ~6x at ~40 MB/s;
	 * the gzip header carries no time stamp, so outputs stay
	 * byte-identical from run to run */
	gzFile z = gzopen(path, "wb6");
	if (!z) {
		errno = errno ? errno : ENOMEM;
		return NULL;
	}
	static const cookie_io_functions_t io = { .write = gz_write,
						  .close = gz_close };
	FILE *cf = fopencookie(z, "wb", io);
	if (!cf)
		gzclose(z);
	return cf;
}
