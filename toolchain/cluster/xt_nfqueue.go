// SPDX-License-Identifier: APACHE-2.0

// Added to sigs.k8s.io/kube-network-policies/pkg/networkpolicy by toolchain/cluster/install.sh.
// Upstream sends packets to user space with nftables' `queue` expression (nft_queue), which
// this project's kernel lacks (CONFIG_NFT_QUEUE is not set; `nft add rule ... queue num 98`
// fails with "No such file or directory"). The kernel has the xtables NFQUEUE target and
// nft_compat (CONFIG_NETFILTER_XT_TARGET_NFQUEUE=y, CONFIG_NFT_COMPAT=y), which iptables-nft
// uses for `-j NFQUEUE`: the same queue, reached through a compat target expression.

package networkpolicy

import (
	"encoding/binary"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
)

// xtNFQueue is `-j NFQUEUE --queue-num num [--queue-bypass]`: struct xt_NFQ_info_v3
// {__u16 queuenum; __u16 queues_total; __u16 flags;}, padded to XT_ALIGN (8 bytes).
func xtNFQueue(num int, bypass bool) expr.Any {
	info := make([]byte, 8)
	binary.NativeEndian.PutUint16(info[0:], uint16(num))
	binary.NativeEndian.PutUint16(info[2:], 1)
	if bypass {
		binary.NativeEndian.PutUint16(info[4:], 0x01) // NFQ_FLAG_BYPASS
	}
	u := xt.Unknown(info)
	return &expr.Target{Name: "NFQUEUE", Rev: 3, Info: &u}
}
