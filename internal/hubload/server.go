package hubload

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/device"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/nem"
)

// NewServer returns the hub of a load test, not yet serving: device key
// [DeviceKey], owners OwnerKey(0) … OwnerKey(owners-1) (static, no chain),
// a device with one action, "light", a switch on a simulated pin
// (gpiotest), a replay cache of replayCapacity entries (0 means
// [ReplayCapacity]) and no access log. Its connection cap is the hub's
// default, or owners + 16 if that is more, so that every owner keeps its
// connection.
func NewServer(owners, replayCapacity int) (*hub.Server, error) {
	if owners < 1 {
		return nil, configErr("%d owners", owners)
	}
	if replayCapacity < 0 {
		return nil, configErr("negative replay capacity")
	}
	if replayCapacity == 0 {
		replayCapacity = ReplayCapacity
	}
	pubs := make([]nem.PublicKey, owners)
	for i := range pubs {
		pubs[i] = OwnerKey(i).PublicKey()
	}
	light, err := device.NewSwitch(&gpiotest.Pin{N: "GPIO17", Num: 17}, nil)
	if err != nil {
		return nil, err
	}
	dev, err := device.New(map[string]device.Action{"light": light}, &device.Opts{Name: "hubload"})
	if err != nil {
		return nil, err
	}
	opener := &command.Opener{Device: DeviceKey(), Owners: command.StaticOwners(pubs...), ReplayCapacity: replayCapacity}
	so := hub.DefaultServerOptions
	so.MaxConns = max(so.MaxConns, owners+16)
	return hub.NewServer(hub.New(opener, dev, nil), "", &so), nil
}

// FetchDevice asks the hub at base URL for its device key (GET
// hub.DevicePath).
func FetchDevice(ctx context.Context, base string) (nem.PublicKey, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nem.PublicKey{}, configErr("hub URL %q: want http://host:port or https://host:port", base)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.JoinPath(hub.DevicePath).String(), nil)
	if err != nil {
		return nem.PublicKey{}, err
	}
	c := &http.Client{Transport: &http.Transport{}} // no proxy: the hub itself
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return nem.PublicKey{}, fmt.Errorf("hubload: asking the hub for its device key: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nem.PublicKey{}, fmt.Errorf("hubload: GET %s: %s", hub.DevicePath, resp.Status)
	}
	var info struct {
		PublicKey nem.PublicKey `json:"publicKey"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&info); err != nil {
		return nem.PublicKey{}, fmt.Errorf("hubload: GET %s: %w", hub.DevicePath, err)
	}
	if err := info.PublicKey.Validate(); err != nil {
		return nem.PublicKey{}, fmt.Errorf("hubload: GET %s: %w", hub.DevicePath, err)
	}
	return info.PublicKey, nil
}
