/* normlab config: prints the full configuration JSON for the given flags (and --config FILE),
 * every field with its default filled in, ready for `normlab train --config FILE`; with
 * --schema, the settings table itself (names, types, ranges, defaults, help) as JSON. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *const config_options[] = {CLI_MODEL_FLAGS, CLI_TRAIN_FLAGS, "--config", NULL};

int cmd_config(int argc, char **argv) {
    nl_status st;
    nl_buf out = {0};
    int rc = 0;
    if (argc == 3 && !strcmp(argv[2], "--schema")) {
        if (nl_config_schema_json(&out, &st)) rc = EXIT_RUNTIME;
        else printf("%s\n", nl_buf_text(&out));
    } else {
        cli_options o;
        if ((rc = cli_parse(argc, argv, 2, &o, config_options))) return rc;
        if (nl_config_to_json(&o.config_all, &out, 1, &st)) rc = EXIT_RUNTIME;
        else fputs(nl_buf_text(&out), stdout);
    }
    if (rc) fprintf(stderr, "normlab: %s\n", st.msg);
    nl_buf_free(&out);
    return rc;
}

void cli_print_settings_help(FILE *f) {
    int n;
    const nl_config_field *fields = nl_config_fields(&n);
    for (int i = 0; i < n; i++) {
        const nl_config_field *fl = &fields[i];
        char flag[64], arg[96] = "";
        nl_config_flag_name(fl, flag, sizeof flag);
        switch (fl->type) {
        case NL_CF_INT: snprintf(arg, sizeof arg, " N (%g..%g)", fl->min, fl->max); break;
        case NL_CF_FLOAT:
            snprintf(arg, sizeof arg, " X in %c%g, %g%c", fl->min_open ? '(' : '[', fl->min, fl->max,
                     fl->max_open ? ')' : ']');
            break;
        case NL_CF_BOOL: snprintf(arg, sizeof arg, " [0|1], --no-%s", flag + 2); break;
        case NL_CF_ENUM:
            strcpy(arg, " ");
            for (int k = 0; fl->options[k]; k++)
                snprintf(arg + strlen(arg), sizeof arg - strlen(arg), "%s%s", k ? "|" : "", fl->options[k]);
            break;
        case NL_CF_SEED: snprintf(arg, sizeof arg, " N (0..2^64-1)"); break;
        case NL_CF_BLOCKS: snprintf(arg, sizeof arg, " a,b,...(10)"); break;
        case NL_CF_SKIPS: snprintf(arg, sizeof arg, " FROM-TO,...|none"); break;
        }
        fprintf(f, "  %s%s\n      %s\n", flag, arg, fl->help);
    }
}
