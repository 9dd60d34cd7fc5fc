/* replay.c - runs a libFuzzer target over every file of a corpus directory, so `make check`
 * (and the sanitizer build) replays corpora without clang's libFuzzer runtime. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        fprintf(stderr, "%s: cannot open corpus\n", argv[1]);
        return 1;
    }
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
        if (buf && fread(buf, 1, (size_t)len, f) == (size_t)len)
            LLVMFuzzerTestOneInput(buf, (size_t)len);
        free(buf);
        fclose(f);
        n++;
    }
    closedir(d);
    if (n == 0) {
        fprintf(stderr, "%s: empty corpus\n", argv[1]);
        return 1;
    }
    printf("%ld inputs replayed\n", n);
    return 0;
}
