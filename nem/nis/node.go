package nis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nemiot/nemiot/nem"
)

// NodeStatus is the code of a node's /status answer.
type NodeStatus int

// Node status codes (NIS NemStatus). Only StatusSynchronized means the
// node's answers reflect the network.
const (
	StatusUnknown      NodeStatus = 0
	StatusStopped      NodeStatus = 1
	StatusStarting     NodeStatus = 2
	StatusRunning      NodeStatus = 3 // running, not booted
	StatusBooting      NodeStatus = 4
	StatusBooted       NodeStatus = 5 // booted, not synchronized
	StatusSynchronized NodeStatus = 6
	StatusNoRemoteNIS  NodeStatus = 7 // no other node visible
	StatusLoading      NodeStatus = 8 // loading the chain from its database
)

// String returns the status name, e.g. "synchronized".
func (s NodeStatus) String() string {
	names := [...]string{"unknown", "stopped", "starting", "running", "booting", "booted", "synchronized", "no-remote-nis", "loading"}
	if s >= 0 && int(s) < len(names) {
		return names[s]
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// Features is the bit set of optional features a node announces.
type Features int

// Node features (NIS NodeFeature).
const (
	FeatureTransactionHashLookup Features = 1 // /transaction/get works
	FeatureHistoricalAccountData Features = 2
	FeatureTrackExpiredMosaics   Features = 4
)

// Has reports whether all features in f2 are in f.
func (f Features) Has(f2 Features) bool { return f&f2 == f2 }

// NodeInfo describes a node (/node/info).
type NodeInfo struct {
	Name        string        // identity.name
	PublicKey   nem.PublicKey // identity.public-key: the node's boot key (for supernodes, the delegated harvesting key)
	Network     nem.Network   // from metaData.networkId (104 mainnet, -104 or 152 testnet, 96 mijin)
	Features    Features
	Version     string // NIS version, e.g. "0.6.101"
	Platform    string
	Application string
	Protocol    string // endpoint.protocol: "http" or "https"
	Host        string
	Port        int
}

type requestResultWire struct {
	Type    *int   `json:"type"`
	Code    *int   `json:"code"`
	Message string `json:"message"`
}

// Heartbeat checks that the node answers (GET /heartbeat).
func (c *Client) Heartbeat(ctx context.Context) error {
	const path = "/heartbeat"
	body, err := c.get(ctx, path, nil)
	if err != nil {
		return err
	}
	var w requestResultWire
	if err := decode(path, body, &w); err != nil {
		return err
	}
	if w.Code == nil || *w.Code != 1 || w.Type == nil || *w.Type != 2 {
		return badResponse(path, "not a heartbeat result")
	}
	return nil
}

// Status returns the node's state (GET /status). NIS answers it even while
// loading its chain.
func (c *Client) Status(ctx context.Context) (NodeStatus, error) {
	const path = "/status"
	body, err := c.get(ctx, path, nil)
	if err != nil {
		return 0, err
	}
	var w requestResultWire
	if err := decode(path, body, &w); err != nil {
		return 0, err
	}
	if w.Code == nil || *w.Code < 0 || *w.Code > 8 || w.Type == nil || *w.Type != 4 {
		return 0, badResponse(path, "not a status result")
	}
	return NodeStatus(*w.Code), nil
}

type nodeWire struct {
	MetaData *struct {
		Features    int     `json:"features"`
		Application *string `json:"application"`
		NetworkID   *int    `json:"networkId"`
		Version     string  `json:"version"`
		Platform    string  `json:"platform"`
	} `json:"metaData"`
	Endpoint *struct {
		Protocol string `json:"protocol"`
		Port     int    `json:"port"`
		Host     string `json:"host"`
	} `json:"endpoint"`
	Identity *struct {
		Name      string  `json:"name"`
		PublicKey *string `json:"public-key"`
	} `json:"identity"`
}

// NodeInfo returns the node's identity, network and features (GET /node/info).
func (c *Client) NodeInfo(ctx context.Context) (*NodeInfo, error) {
	const path = "/node/info"
	body, err := c.get(ctx, path, nil)
	if err != nil {
		return nil, err
	}
	return decodeNodeInfo(path, body)
}

func decodeNodeInfo(path string, body []byte) (*NodeInfo, error) {
	var w nodeWire
	if err := decode(path, body, &w); err != nil {
		return nil, err
	}
	if w.MetaData == nil || w.Endpoint == nil || w.Identity == nil || w.MetaData.NetworkID == nil || w.Identity.PublicKey == nil {
		return nil, badResponse(path, "missing metaData, endpoint or identity")
	}
	info := &NodeInfo{
		Name:     w.Identity.Name,
		Features: Features(w.MetaData.Features),
		Version:  w.MetaData.Version,
		Platform: w.MetaData.Platform,
		Protocol: w.Endpoint.Protocol,
		Host:     w.Endpoint.Host,
		Port:     w.Endpoint.Port,
	}
	if w.MetaData.Application != nil {
		info.Application = *w.MetaData.Application
	}
	var err error
	if info.PublicKey, err = nem.ParsePublicKey(*w.Identity.PublicKey); err != nil {
		return nil, badResponse(path, "identity: %v", err)
	}
	id := *w.MetaData.NetworkID
	if id < -128 || id > 255 || !nem.Network(byte(id)).Valid() {
		return nil, badResponse(path, "unknown networkId %d", id)
	}
	info.Network = nem.Network(byte(id))
	return info, nil
}

// ChainHeight returns the height of the node's chain (GET /chain/height).
// While a node loads its database this is its loading progress, not the
// network's height.
func (c *Client) ChainHeight(ctx context.Context) (int64, error) {
	const path = "/chain/height"
	body, err := c.get(ctx, path, nil)
	if err != nil {
		return 0, err
	}
	var w struct {
		Height *int64 `json:"height"`
	}
	if err := decode(path, body, &w); err != nil {
		return 0, err
	}
	if w.Height == nil || *w.Height < 1 {
		return 0, badResponse(path, "no positive height")
	}
	return *w.Height, nil
}

// NetworkTime returns the node's network time (GET /time-sync/network-time):
// its clock corrected by what it learned from its peers, to the millisecond.
// One node can lie about it; see package multisig for a quorum.
func (c *Client) NetworkTime(ctx context.Context) (time.Time, error) {
	const path = "/time-sync/network-time"
	body, err := c.get(ctx, path, nil)
	if err != nil {
		return time.Time{}, err
	}
	var w struct {
		Send    *int64 `json:"sendTimeStamp"`
		Receive *int64 `json:"receiveTimeStamp"`
	}
	if err := decode(path, body, &w); err != nil {
		return time.Time{}, err
	}
	const maxMillis = 1 << 41 // about 70 years after the epoch
	if w.Send == nil || w.Receive == nil || *w.Receive < 0 || *w.Receive > maxMillis || *w.Send < 0 || *w.Send > maxMillis {
		return time.Time{}, badResponse(path, "no valid sendTimeStamp and receiveTimeStamp")
	}
	return nem.Epoch.Add(time.Duration(*w.Receive) * time.Millisecond), nil
}

// ExtendedNodeInfo is a node's /node/extended-info answer: its [NodeInfo]
// and what its NIS reports about itself, including its network time in
// seconds (a second time source beside [Client.NetworkTime]).
type ExtendedNodeInfo struct {
	Node        NodeInfo
	Application string        // nisInfo.application, e.g. "NEM Infrastructure Server"
	Version     string        // nisInfo.version
	StartTime   nem.Timestamp // nisInfo.startTime: when the node started, in network time
	CurrentTime nem.Timestamp // nisInfo.currentTime: the node's network time
}

// NodeExtendedInfo returns the node's identity and NIS information
// (GET /node/extended-info).
func (c *Client) NodeExtendedInfo(ctx context.Context) (*ExtendedNodeInfo, error) {
	const path = "/node/extended-info"
	body, err := c.get(ctx, path, nil)
	if err != nil {
		return nil, err
	}
	var w struct {
		Node    json.RawMessage `json:"node"`
		NisInfo *struct {
			Application string `json:"application"`
			Version     string `json:"version"`
			StartTime   *int32 `json:"startTime"`
			CurrentTime *int32 `json:"currentTime"`
		} `json:"nisInfo"`
	}
	if err := decode(path, body, &w); err != nil {
		return nil, err
	}
	if w.Node == nil || w.NisInfo == nil || w.NisInfo.StartTime == nil || w.NisInfo.CurrentTime == nil {
		return nil, badResponse(path, "missing node or nisInfo")
	}
	info, err := decodeNodeInfo(path, w.Node)
	if err != nil {
		return nil, err
	}
	return &ExtendedNodeInfo{
		Node:        *info,
		Application: w.NisInfo.Application,
		Version:     w.NisInfo.Version,
		StartTime:   nem.Timestamp(*w.NisInfo.StartTime),
		CurrentTime: nem.Timestamp(*w.NisInfo.CurrentTime),
	}, nil
}
