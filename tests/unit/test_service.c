// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for common/service.c: the field filter that keeps secrets out
 * of the journal, the line on standard error when it is not the journal,
 * and sd_notify's messages as a service manager's socket receives them
 * (READY, RELOADING, STATUS, a watchdog ping no more often than half the
 * interval).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "byod_service.h"

static void test_field_filter(void **state)
{
	(void)state;
	assert_true(byod_log_field_ok("BYOD_DEVICE=d-1"));
	assert_true(byod_log_field_ok("BYOD_SCHOOL=0131234W"));
	assert_true(byod_log_field_ok("BYOD_MAC=aa:bb:cc:dd:ee:ff"));
	assert_true(byod_log_field_ok("BYOD_LOGIN="));
	/* named like a secret: dropped, whatever the value */
	assert_false(byod_log_field_ok("BYOD_PASSWORD=x"));
	assert_false(byod_log_field_ok("PASSWORD=x"));
	assert_false(byod_log_field_ok("BYOD_P12_PASSPHRASE=x"));
	assert_false(byod_log_field_ok("BYOD_DOWNLOAD_TOKEN=x"));
	assert_false(byod_log_field_ok("BYOD_SHARED_SECRET=x"));
	assert_false(byod_log_field_ok("BYOD_COOKIE=x"));
	assert_false(byod_log_field_ok("BYOD_FORM_KEY=x"));
	/* names journald would refuse, or that are not the caller's */
	assert_false(byod_log_field_ok("byod_device=x"));
	assert_false(byod_log_field_ok("_PID=1"));
	assert_false(byod_log_field_ok("1BYOD=x"));
	assert_false(byod_log_field_ok("BYOD DEVICE=x"));
	assert_false(byod_log_field_ok("=x"));
	assert_false(byod_log_field_ok("BYOD_DEVICE"));
	assert_false(byod_log_field_ok(NULL));
	assert_false(byod_log_field_ok("MESSAGE=forged"));
	assert_false(byod_log_field_ok("PRIORITY=0"));
}

/* Not the journal (no JOURNAL_STREAM): one escaped line on standard error,
 * without the fields. */
static void test_stderr_line(void **state)
{
	const char *fields[] = {"BYOD_DEVICE=d-42", "BYOD_PASSWORD=hunter2", NULL};
	char path[] = "/tmp/test_service.XXXXXX", buf[1024];
	int fd, saved;
	ssize_t n;

	(void)state;
	unsetenv("JOURNAL_STREAM");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	saved = dup(STDERR_FILENO);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	byod_log_ident("byod-test");
	byod_log(LOG_INFO, fields, "device %s\nforged line", "d-42");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_false(byod_log_journal());
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	unlink(path);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, " byod-test: device d-42"));
	assert_null(strstr(buf, "hunter2"));
	assert_null(strstr(buf, "BYOD_DEVICE"));
	/* one line: the newline in the value is escaped */
	assert_int_equal(strchr(buf, '\n') - buf, (long)strlen(buf) - 1);
}

static int notify_socket(char *path, size_t len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(path, len, "/tmp/test_service.%d.sock", (int)getpid());
	unlink(path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* The next datagram, or "" when none came within 100 ms. */
static void next_msg(int fd, char *out, size_t len)
{
	struct timeval tv = {.tv_usec = 100000};
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(fd, out, len - 1, 0);
	out[n > 0 ? n : 0] = '\0';
}

static void test_notify(void **state)
{
	char path[108], msg[512], pid[32];
	int fd = notify_socket(path, sizeof(path));

	(void)state;
	unsetenv("NOTIFY_SOCKET");
	byod_service_ready("serving"); /* no socket: nothing, no failure */
	assert_int_equal(byod_service_watchdog_ms(), 0);

	setenv("NOTIFY_SOCKET", path, 1);
	byod_service_ready("serving");
	next_msg(fd, msg, sizeof(msg));
	assert_string_equal(msg, "READY=1\nSTATUS=serving");
	byod_service_reloading();
	next_msg(fd, msg, sizeof(msg));
	assert_memory_equal(msg, "RELOADING=1\nMONOTONIC_USEC=", 26);
	byod_service_status("%d devices", 3);
	next_msg(fd, msg, sizeof(msg));
	assert_string_equal(msg, "STATUS=3 devices");

	/* no watchdog asked for: no ping */
	byod_service_watchdog();
	next_msg(fd, msg, sizeof(msg));
	assert_string_equal(msg, "");
	/* 400 ms: a ping at most every 200 ms; one for a third of that */
	setenv("WATCHDOG_USEC", "400000", 1);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(byod_service_watchdog_ms(), 200);
	byod_service_watchdog();
	next_msg(fd, msg, sizeof(msg));
	assert_string_equal(msg, "WATCHDOG=1");
	byod_service_watchdog();
	next_msg(fd, msg, sizeof(msg));
	assert_string_equal(msg, "");
	usleep(210000);
	byod_service_watchdog();
	next_msg(fd, msg, sizeof(msg));
	assert_string_equal(msg, "WATCHDOG=1");
	/* another process's watchdog (WATCHDOG_PID): not ours to feed */
	setenv("WATCHDOG_PID", "1", 1);
	assert_int_equal(byod_service_watchdog_ms(), 0);

	byod_service_stopping();
	next_msg(fd, msg, sizeof(msg));
	assert_string_equal(msg, "STOPPING=1");
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_filter),
		cmocka_unit_test(test_stderr_line),
		cmocka_unit_test(test_notify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
