/* normlab: train, evaluate and inspect the S8 CIFAR-10 network from the command line. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

void cli_print_usage(FILE *f) {
    fputs("usage: normlab <command> [options]\n"
          "commands:\n"
          "  train    --data PATH [--config FILE] [settings] [--save FILE] [--metrics-out FILE] [--resume FILE]\n"
          "           [--train-limit N] [--test-limit N] [--quiet]\n"
          "  config   [--config FILE] [settings]   the full configuration JSON (for train --config FILE)\n"
          "  config   --schema                     the settings table as JSON\n"
          "  eval     --data PATH --load FILE [--misclassified OUT.png] [--by-confidence] [--threads N]\n"
          "  summary  [--config FILE] [model settings]   parameter and receptive-field tables\n"
          "  bench    [model settings] [--batch 128] [--steps 20] [--threads N] [--repeats R]\n"
          "           [--isa avx512|avx2|wasmsimd|scalar] [--profile]   training speed on random data (JSON)\n"
          "  export   --load CKPT --out FILE.safetensors [--json MODEL.json]   weights for PyTorch\n"
          "  import   --in FILE.safetensors [--json MODEL.json] --save CKPT [training settings]\n"
          "  describe [--config FILE] [model settings] [--load CKPT | --in FILE.safetensors] [--out FILE.json]\n"
          "  predict  --load CKPT --data PATH [--test-limit N] [--out LOGITS.f32]   logits of the test images\n"
          "  plot     --metrics A.jsonl[,B.jsonl...] [--labels BN,GN,...] --out FILE.png [--title T]\n"
          "           loss, accuracy, gap and learning-rate curves of train --metrics-out files\n"
          "  confusion --data PATH --load FILE --out FILE.png [--threads N]   test-set confusion matrix\n"
          "  weights  --load CKPT [--threshold 1e-3]   share of near-zero weights, L1/L2 norms (JSON)\n"
          "PATH is cifar-10-binary.tar.gz as downloaded, or the extracted cifar-10-batches-bin/ folder.\n"
          "--config FILE reads a configuration JSON (normlab config writes one; a model description from\n"
          "describe/export works too); flags given with it override its fields.\n"
          "settings (the fields of the configuration JSON, model ones first):\n",
          f);
    cli_print_settings_help(f);
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        cli_print_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "train")) return cmd_train(argc, argv);
    if (!strcmp(cmd, "config")) return cmd_config(argc, argv);
    if (!strcmp(cmd, "eval")) return cmd_eval(argc, argv);
    if (!strcmp(cmd, "summary")) return cmd_summary(argc, argv);
    if (!strcmp(cmd, "bench")) return cmd_bench(argc, argv);
    if (!strcmp(cmd, "export")) return cmd_export(argc, argv);
    if (!strcmp(cmd, "import")) return cmd_import(argc, argv);
    if (!strcmp(cmd, "describe")) return cmd_describe(argc, argv);
    if (!strcmp(cmd, "predict")) return cmd_predict(argc, argv);
    if (!strcmp(cmd, "plot")) return cmd_plot(argc, argv);
    if (!strcmp(cmd, "confusion")) return cmd_confusion(argc, argv);
    if (!strcmp(cmd, "weights")) return cmd_weights(argc, argv);
    fprintf(stderr, "normlab: unknown command '%s' (try: train, config, eval, summary, bench, export, import, describe, predict, plot, confusion, weights; --help for options)\n", cmd);
    return EXIT_USAGE;
}
