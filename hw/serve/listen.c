/*
 * The listening socket of `hipsched serve`: one AF_UNIX SOCK_SEQPACKET
 * socket file, owner-only unless a group is given. A file already there is
 * probed by connecting: a live server answers (we refuse to start), a
 * stale file left by a killed server refuses the connection (we replace
 * it).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "serve_internal.h"

int hs_server_listen(struct hs_server *s, const char *path, long gid,
		     char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(a.sun_path) || strlen(path) >= sizeof(s->path)) {
		snprintf(err, errlen, "%s: socket path too long (at most %zu bytes)", path,
			 sizeof(a.sun_path) - 1);
		return HS_EINVAL;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	struct stat sb;
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			return SERVE_EBUSY;
		}
		int fd = hs_connect(path);
		if (fd >= 0) {
			close(fd);
			snprintf(err, errlen, "%s: another policy server is running there", path);
			return SERVE_EBUSY;
		}
		if (fd != -ECONNREFUSED && fd != -ENOENT) {
			snprintf(err, errlen, "%s: cannot tell whether a server owns it: %s",
				 path, strerror(-fd));
			return SERVE_EBUSY;
		}
		if (unlink(path) && errno != ENOENT) {
			snprintf(err, errlen, "%s: removing the stale socket: %s", path,
				 strerror(errno));
			return SERVE_EIO;
		}
	}
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return SERVE_EIO;
	}
	/* created owner-only, then opened to the group if asked: never a
	 * moment with wider access */
	mode_t old = umask(0177);
	int br = bind(fd, (struct sockaddr *)&a, sizeof(a));
	int be = errno;
	umask(old);
	if (br) {
		snprintf(err, errlen, "%s: bind: %s", path, strerror(be));
		close(fd);
		return be == EADDRINUSE ? SERVE_EBUSY : SERVE_EIO;
	}
	if ((gid >= 0 && (chown(path, (uid_t)-1, (gid_t)gid) || chmod(path, 0660))) ||
	    listen(fd, 64)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return SERVE_EIO;
	}
	s->lfd = fd;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (lstat(path, &sb) == 0) {
		s->sock_dev = sb.st_dev;
		s->sock_ino = sb.st_ino;
	}
	return HS_OK;
}

void serve__unlisten(struct hs_server *s)
{
	if (s->lfd < 0)
		return;
	close(s->lfd);
	s->lfd = -1;
	/* only if the file is still ours (not replaced by a newer server) */
	struct stat sb;
	if (s->path[0] && lstat(s->path, &sb) == 0 && sb.st_dev == s->sock_dev &&
	    sb.st_ino == s->sock_ino)
		unlink(s->path);
	s->path[0] = 0;
}
