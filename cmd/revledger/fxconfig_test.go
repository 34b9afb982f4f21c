package main

import (
	"os"
	"path/filepath"
	"testing"
)

// fx.revalue is off unless the config file turns it on; chart.fx_unrealised keeps its
// default (7930) unless set.
func TestFXRevalueFromFile(t *testing.T) {
	t.Parallel()
	if defaultConfig().FX.Revalue {
		t.Fatal("fx.revalue is on by default; the revaluation is optional")
	}
	load := func(yaml string) Config {
		t.Helper()
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := defaultConfig()
		if err := loadFile(&cfg, path); err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	cfg := load("fx:\n  revalue: true\n")
	if !cfg.FX.Revalue || cfg.chart().FXUnrealised != "7930" {
		t.Errorf("fx.revalue %v, chart.fx_unrealised %q; want true and 7930", cfg.FX.Revalue, cfg.chart().FXUnrealised)
	}
	if cfg := load("fx:\n  revalue: false\nchart:\n  fx_unrealised: \"7935\"\n"); cfg.FX.Revalue || cfg.chart().FXUnrealised != "7935" {
		t.Errorf("fx.revalue %v, chart.fx_unrealised %q; want false and 7935", cfg.FX.Revalue, cfg.chart().FXUnrealised)
	}
}
