/* test_store.c - the SQLite history: WAL mode, NULL (not 0) for unknown telemetry, the
 * command lifecycle, the query whitelist, and kill -9 of a writer in the middle of a run:
 * the database passes integrity_check, every record the writer saw committed is there, no
 * half transaction is visible, and the in-flight commands are listed. */
#include "wmtest.h"
#include "store.h"

#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void rmdb(const char *path)
{
    char p[600];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static void tmpdb(char *path, size_t n)
{
    snprintf(path, n, "/tmp/wm_store_test_%d_%ld.db", getpid(), random());
    rmdb(path);
}

static void test_basic(void **s)
{
    (void)s;
    char path[512];
    tmpdb(path, sizeof path);
    wm_store *st;
    assert_int_equal(wm_store_open(path, &st, NULL), WM_OK);
    /* WAL */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
    sqlite3_finalize(q);
    sqlite3_close(db);
    /* unknown power is NULL */
    wm_miner_op op;
    wm_miner_op_init(&op, WM_FW_STOCK, WM_VERB_READ, 0);
    op.data.hashrate_th_s = 110.5;
    assert_int_equal(wm_store_telemetry(st, 1700000000, "127.0.0.1:4028", WM_FW_STOCK, &op, NAN, "reported"), WM_OK);
    json_t *rows;
    assert_int_equal(wm_store_query(st, "telemetry", 0, 10, &rows), WM_OK);
    assert_int_equal(json_array_size(rows), 1);
    json_t *r0 = json_array_get(rows, 0);
    assert_true(json_is_null(json_object_get(r0, "power_w")));
    assert_true(json_is_null(json_object_get(r0, "power_source")));
    assert_near_rel(json_real_value(json_object_get(r0, "hashrate_th_s")), 110.5, 0);
    json_decref(rows);
    /* command lifecycle */
    int64_t dec, id1, id2;
    assert_int_equal(wm_store_decision(st, 1700000000, 42.0, 55.0, 1e6, "mine", "price below break-even", "{\"targets\":[]}", &dec), WM_OK);
    assert_int_equal(wm_store_command_new(st, 1700000001, dec, "127.0.0.1:4028", WM_VERB_STOP, &id1), WM_OK);
    assert_int_equal(wm_store_command_new(st, 1700000001, dec, "127.0.0.2:4028", WM_VERB_STOP, &id2), WM_OK);
    assert_int_equal(wm_store_command_state(st, id1, 1700000002, "sent", NULL), WM_OK);
    assert_int_equal(wm_store_command_state(st, id1, 1700000003, "confirmed", "power 25 W"), WM_OK);
    assert_int_equal(wm_store_command_state(st, id2, 1700000002, "sent", NULL), WM_OK);
    assert_int_equal(wm_store_inflight(st, &rows), WM_OK);
    assert_int_equal(json_array_size(rows), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "id")), id2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "attempts")), 1);
    json_decref(rows);
    assert_int_equal(wm_store_query(st, "sqlite_master", 0, 10, &rows), WM_ENOTFOUND);
    long n;
    assert_int_equal(wm_store_count(st, "commands", &n), WM_OK);
    assert_int_equal(n, 2);
    assert_int_equal(wm_store_count(st, "commands; DROP TABLE site", &n), WM_ENOTFOUND);
    bool ok;
    assert_int_equal(wm_store_check(st, &ok), WM_OK);
    assert_true(ok);
    wm_store_free(st);
    wm_store_free(NULL);
    wm_err e;
    assert_int_equal(wm_store_open("/nonexistent-dir/x.db", &st, &e), WM_EIO);
    assert_non_null(strstr(e.source, "/nonexistent-dir/x.db"));
    rmdb(path);
}

/* Child: commands (own commit each, reported on the pipe after commit) and telemetry batches
 * of 100 rows in one transaction. Every 7th command stays "sent" (in flight). */
static void writer(const char *path, int fd)
{
    wm_store *st;
    if (wm_store_open(path, &st, NULL) != WM_OK)
        _exit(3);
    wm_miner_op op;
    wm_miner_op_init(&op, WM_FW_LUXOS, WM_VERB_READ, 0);
    op.data.power_w = 3250;
    for (long i = 0;; i++) {
        int64_t id;
        if (wm_store_command_new(st, (double)i, 0, "127.0.0.9:4028", WM_VERB_STOP, &id) != WM_OK)
            _exit(4);
        wm_store_command_state(st, id, (double)i, "sent", NULL);
        if (id % 7 != 0)
            wm_store_command_state(st, id, (double)i, "confirmed", NULL);
        if (write(fd, &id, sizeof id) != sizeof id)
            _exit(5);
        if (i % 5 == 0) {
            wm_store_begin(st);
            for (int k = 0; k < 100; k++)
                wm_store_telemetry(st, (double)i, "127.0.0.9:4028", WM_FW_LUXOS, &op, 3250, "reported");
            wm_store_commit(st);
        }
    }
}

static void test_kill9(void **s)
{
    (void)s;
    char path[512];
    tmpdb(path, sizeof path);
    for (int round = 0; round < 3; round++) { /* kill, reopen and continue, kill again */
        int pfd[2];
        assert_int_equal(pipe(pfd), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(pfd[0]);
            writer(path, pfd[1]);
        }
        close(pfd[1]);
        int64_t *ids = malloc(sizeof *ids * 1000000);
        long nids = 0;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
            int64_t id;
            if (read(pfd[0], &id, sizeof id) != sizeof id)
                break;
            ids[nids++] = id;
            clock_gettime(CLOCK_MONOTONIC, &t1);
            if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 > 300 + 97 * round)
                break;
        }
        kill(pid, SIGKILL);
        int wst;
        waitpid(pid, &wst, 0);
        assert_true(WIFSIGNALED(wst));
        close(pfd[0]);
        assert_true(nids > 10);
        wm_store *st;
        assert_int_equal(wm_store_open(path, &st, NULL), WM_OK);
        bool ok = false;
        assert_int_equal(wm_store_check(st, &ok), WM_OK);
        assert_true(ok);
        json_t *rows;
        assert_int_equal(wm_store_query(st, "commands", 0, 10000000, &rows), WM_OK);
        /* ids are dense: every reported id must be present */
        char *have = calloc(20000000, 1);
        size_t i;
        json_t *r;
        json_array_foreach(rows, i, r) {
            json_int_t id = json_integer_value(json_object_get(r, "id"));
            if (id > 0 && id < 20000000)
                have[id] = 1;
        }
        for (long k = 0; k < nids; k++)
            assert_true(have[ids[k]]);
        json_decref(rows);
        free(have);
        long tel;
        assert_int_equal(wm_store_count(st, "telemetry", &tel), WM_OK);
        assert_int_equal(tel % 100, 0); /* never half a batch */
        assert_int_equal(wm_store_inflight(st, &rows), WM_OK);
        long in7 = 0;
        json_array_foreach(rows, i, r) {
            json_int_t id = json_integer_value(json_object_get(r, "id"));
            const char *state = json_string_value(json_object_get(r, "state"));
            assert_true(!strcmp(state, "sent") || !strcmp(state, "pending"));
            in7 += id % 7 == 0;
        }
        long want7 = 0;
        for (long k = 0; k < nids; k++)
            want7 += ids[k] % 7 == 0;
        assert_true(in7 >= want7); /* every reported in-flight command is listed */
        json_decref(rows);
        wm_store_free(st);
        free(ids);
    }
    rmdb(path);
}

int main(void)
{
    srandom((unsigned)getpid());
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_kill9),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
