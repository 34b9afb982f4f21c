package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

const authUsage = `
Usage:
  revledger auth exchange --code CODE   exchange the consent code for a refresh token and store it
  revledger auth status                 show the stored token's age and whether it still works
  revledger auth exchange --business SLUG --code CODE
  revledger auth status --business SLUG multi-business mode: the same for one registered business;
                                        its refresh token is stored encrypted in the database

Setting up API access (once, in the Revolut Business web app, Settings → APIs → Business API):
  1. Make a key and certificate:
       openssl genrsa -out privatecert.pem 2048 && chmod 600 privatecert.pem
       openssl req -new -x509 -key privatecert.pem -out publiccert.cer -days 1825
  2. Add an API certificate: paste publiccert.cer, set a redirect URI you control (e.g.
     https://example.com), copy the client ID. Set REVOLUT_CLIENT_ID, REVOLUT_PRIVATE_KEY_FILE
     and REVOLUT_ISSUER (the redirect URI's host, e.g. example.com).
  3. Enable access with the READ scope only (revledger never writes, and never needs
     READ_SENSITIVE_CARD_DATA, which would force IP allow-listing), approve, and copy the code
     from the ?code=... of the page you are redirected to. Then, within a few minutes:
       revledger auth exchange --code <code>
The refresh token is stored in the token file (mode 0600). Some plans require re-consent every
90 days: repeat step 3 and the exchange when 'auth status' says so.
`

func runAuth(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(env.stdout, authUsage)
		if len(args) == 0 {
			return usagef("auth needs a subcommand: exchange or status")
		}
		return errHelp
	}
	sub, args := args[0], args[1:]
	fs, cf := newFlagSet(env, "auth "+sub, authUsage)
	code := fs.String("code", "", "the consent code from the redirect URI's ?code= (exchange)")
	tokenFile := fs.String("token-file", "", "where the refresh token is stored (default from the config, else the user config folder)")
	business := fs.String("business", "", "multi-business mode: the slug of the business (see `revledger business`)")
	secretKeyFile := fs.String("secret-key-file", "", "multi-business mode: file holding the secret key (default $REVLEDGER_SECRET_KEY)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *business != "" {
		return authBusiness(ctx, env, cf, *secretKeyFile, sub, *business, *code)
	}
	cfg, err := cf.config(env)
	if err != nil {
		return err
	}
	if *tokenFile != "" {
		cfg.Revolut.TokenFile = *tokenFile
	}
	log, err := cf.logger(env)
	if err != nil {
		return err
	}
	if err := cfg.validateAPI(); err != nil {
		return usageError{err}
	}
	switch sub {
	case "exchange":
		if *code == "" {
			return usagef("auth exchange needs --code (the ?code= value Revolut appended to your redirect URI)")
		}
		var got string
		client, err := newAPIClient(cfg, "", log, func(t string) { got = t })
		if err != nil {
			return err
		}
		tok, err := client.ExchangeAuthorizationCode(ctx, *code)
		if err != nil {
			return fmt.Errorf("exchange the consent code: %w", err)
		}
		if tok.RefreshToken != "" {
			got = tok.RefreshToken
		}
		if got == "" {
			return errors.New("no refresh token in the answer from Revolut; open the consent URL again and exchange the new code")
		}
		stored := storedToken{RefreshToken: got, ClientID: cfg.Revolut.ClientID, ObtainedAt: time.Now().UTC()}
		if err := saveToken(cfg.Revolut.TokenFile, stored); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "Stored the refresh token in %s (mode 0600).\nThe access token works until %s. revledger sync can run now.\n",
			cfg.Revolut.TokenFile, tok.ExpiresAt.Local().Format(time.RFC1123))
		return nil
	case "status":
		return authStatus(ctx, env, cfg, log)
	default:
		return usagef("unknown auth subcommand %q: use exchange or status", sub)
	}
}

// reconsentAfter is how long some plans let a consent last.
const reconsentAfter = 90 * 24 * time.Hour

func authStatus(ctx context.Context, env *environment, cfg Config, log *slog.Logger) error {
	source := "REVOLUT_REFRESH_TOKEN"
	refresh := cfg.Revolut.RefreshToken
	var obtained time.Time
	if refresh == "" {
		tok, err := loadToken(cfg.Revolut.TokenFile)
		if errors.Is(err, errNoToken) {
			return usagef("no refresh token: set REVOLUT_REFRESH_TOKEN or run `revledger auth exchange --code ...` (see `revledger auth --help`)")
		}
		if err != nil {
			return usageError{err}
		}
		refresh, obtained, source = tok.RefreshToken, tok.ObtainedAt, cfg.Revolut.TokenFile
	}
	client, err := newAPIClient(cfg, refresh, log, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Refresh token: from %s\n", source)
	if !obtained.IsZero() {
		age := time.Since(obtained)
		fmt.Fprintf(env.stdout, "Obtained:      %s (%d days ago)\n", obtained.Local().Format(time.RFC1123), int(age.Hours()/24))
		due := obtained.Add(reconsentAfter)
		if left := time.Until(due); left < 14*24*time.Hour {
			fmt.Fprintf(env.stdout, "Re-consent:    plans that require it every 90 days need it by %s: enable API access again in the Revolut Business web app and run `revledger auth exchange --code ...`\n", due.Local().Format("2 Jan 2006"))
		}
	}
	expires, err := client.Authenticate(ctx)
	if err != nil {
		return fmt.Errorf("the refresh token does not work: %w", err)
	}
	fmt.Fprintf(env.stdout, "Status:        works; a new access token is valid until %s\n", expires.Local().Format(time.RFC1123))
	return nil
}
