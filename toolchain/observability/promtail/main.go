// Promtail's command, for Loki modules that no longer ship it. Loki v3.7 still carries the
// Promtail library (clients/pkg/promtail) but dropped clients/cmd/promtail; this is that
// command as published in github.com/grafana/loki/v3@v3.5.0 (Apache License 2.0), without the
// tracing set-up, built against the same Loki module version as the Loki server.
package main

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"sync"

	_ "time/tzdata"

	"k8s.io/klog/v2"

	"github.com/go-kit/log/level"
	"github.com/grafana/dskit/flagext"
	"github.com/grafana/dskit/log"
	"github.com/prometheus/client_golang/prometheus"
	collectors_version "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/version"

	"github.com/grafana/loki/v3/clients/pkg/logentry/stages"
	"github.com/grafana/loki/v3/clients/pkg/promtail"
	"github.com/grafana/loki/v3/clients/pkg/promtail/client"
	promtail_config "github.com/grafana/loki/v3/clients/pkg/promtail/config"

	"github.com/grafana/loki/v3/pkg/util"
	"github.com/grafana/loki/v3/pkg/util/cfg"

	_ "github.com/grafana/loki/v3/pkg/util/build"
	util_log "github.com/grafana/loki/v3/pkg/util/log"
)

func init() {
	prometheus.MustRegister(collectors_version.NewCollector("promtail"))
}

var mtx sync.Mutex

type Config struct {
	promtail_config.Config `yaml:",inline"`
	printVersion           bool
	printConfig            bool
	dryRun                 bool
	checkSyntax            bool
	configFile             string
	configExpandEnv        bool
	inspect                bool
}

func (c *Config) RegisterFlags(f *flag.FlagSet) {
	f.BoolVar(&c.printVersion, "version", false, "Print this builds version information")
	f.BoolVar(&c.printConfig, "print-config-stderr", false, "Dump the entire config object to stderr")
	f.BoolVar(&c.dryRun, "dry-run", false, "Start Promtail but print entries instead of sending them to Loki.")
	f.BoolVar(&c.checkSyntax, "check-syntax", false, "Validate the config file of its syntax")
	f.BoolVar(&c.inspect, "inspect", false, "Allows for detailed inspection of pipeline stages")
	f.StringVar(&c.configFile, "config.file", "", "yaml file to load")
	f.BoolVar(&c.configExpandEnv, "config.expand-env", false, "Expands ${var} in config according to the values of the environment variables.")
	c.Config.RegisterFlags(f)
}

// Clone returns a distinct *Config, to parse another flag set without mutating this one.
func (c *Config) Clone() flagext.Registerer {
	return func(c Config) *Config {
		return &c
	}(*c)
}

func exit(code int) {
	_ = util_log.Flush()
	os.Exit(code)
}

func main() {
	var config Config
	args := os.Args[1:]
	if err := cfg.DefaultUnmarshal(&config, args, flag.CommandLine); err != nil {
		fmt.Println("Unable to parse config:", err)
		exit(1)
	}
	if config.checkSyntax {
		if config.configFile == "" {
			fmt.Println("Invalid config file")
			exit(1)
		}
		fmt.Println("Valid config file! No syntax issues found")
		exit(0)
	}
	if config.printVersion {
		fmt.Println(version.Print("promtail"))
		exit(0)
	}
	if reflect.DeepEqual(&config.Config.ServerConfig.Config.LogLevel, &log.Level{}) {
		fmt.Println("Invalid log level")
		exit(1)
	}
	serverCfg := &config.Config.ServerConfig.Config
	serverCfg.Log = util_log.InitLogger(serverCfg, prometheus.DefaultRegisterer, false)
	klog.SetOutput(os.Stderr)
	if config.inspect {
		stages.Inspect = true
	}
	if config.Config.ServerConfig.Config.LogLevel.String() == "debug" {
		stages.Debug = true
	}
	if config.printConfig {
		if err := util.PrintConfig(os.Stderr, &config); err != nil {
			level.Error(util_log.Logger).Log("msg", "failed to print config to stderr", "err", err.Error())
		}
	}

	clientMetrics := client.NewMetrics(prometheus.DefaultRegisterer)
	newConfigFunc := func() (*promtail_config.Config, error) {
		mtx.Lock()
		defer mtx.Unlock()
		var config Config
		if err := cfg.DefaultUnmarshal(&config, args, flag.NewFlagSet(os.Args[0], flag.ExitOnError)); err != nil {
			fmt.Println("Unable to parse config:", err)
			return nil, fmt.Errorf("unable to parse config: %w", err)
		}
		return &config.Config, nil
	}
	p, err := promtail.New(config.Config, newConfigFunc, clientMetrics, config.dryRun)
	if err != nil {
		level.Error(util_log.Logger).Log("msg", "error creating promtail", "error", err)
		exit(1)
	}
	level.Info(util_log.Logger).Log("msg", "Starting Promtail", "version", version.Info())
	defer p.Shutdown()
	if err := p.Run(); err != nil {
		level.Error(util_log.Logger).Log("msg", "error starting promtail", "error", err)
		exit(1)
	}
}
