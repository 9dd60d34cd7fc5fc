/* scenario_defaults.h - shipped defaults of the market models (wm_scenario_table). Written by
 * `wattmux calibrate --write lib/scenario_defaults.h`; hand values until the first calibration.
 * Sources of the AI and tenant values (not fitted): docs/model-mc.md. */
#ifndef WM_SCENARIO_DEFAULTS_H
#define WM_SCENARIO_DEFAULTS_H

#define WM_SCN_FIT_FROM "none"
#define WM_SCN_FIT_TO "none"
#define WM_SCN_START_TIME 1770854400LL /* 2026-02-12 */
#define WM_SCN_PRICE0 66221.84
#define WM_SCN_HEIGHT0 936000
#define WM_SCN_DIFFICULTY0 125864590119494.0
#define WM_SCN_FEES0 0.02
#define WM_SCN_POWER0 45.0
#define WM_SCN_PRICE_DRIFT 0.20
#define WM_SCN_PRICE_VOL 0.50
#define WM_SCN_JUMP_RATE 2.0
#define WM_SCN_JUMP_MEAN (-0.05)
#define WM_SCN_JUMP_SD 0.12
#define WM_SCN_HASH_LEVEL 40.0
#define WM_SCN_HASH_ELASTICITY 1.0
#define WM_SCN_HASH_TREND 0.25
#define WM_SCN_HASH_ADJUST 0.01
#define WM_SCN_HASH_LAG 90.0
#define WM_SCN_HASH_VOL 0.01
#define WM_SCN_FEE_LEVEL 0.05
#define WM_SCN_FEE_REVERT 0.02
#define WM_SCN_FEE_VOL 0.15
#define WM_SCN_FEE_SPIKE_RATE 2.0
#define WM_SCN_FEE_SPIKE_MEAN 1.0
#define WM_SCN_POWER_LEVEL 45.0
#define WM_SCN_POWER_REVERT 0.2
#define WM_SCN_POWER_VOL 0.25
#define WM_SCN_POWER_SPIKE_RATE 4.0
#define WM_SCN_POWER_SPIKE_MEAN 0.8

#endif
