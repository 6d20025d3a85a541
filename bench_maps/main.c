/* bench_maps: the stages' maps of balances, side by side, without a server. */
#include "bm_main.h"

int main(int argc, char **argv)
{
    static const struct map_design *const designs[] = {&design_mutex, &design_striped, &design_rcu};
    return bench_maps_main(argc, argv, designs, sizeof designs / sizeof designs[0]);
}
