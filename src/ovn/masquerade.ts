// ovn-kubernetes' masquerade addresses: link-local addresses it reserves in 169.254.169.0/29 and fd69::/125 (its
// defaults, go-controller pkg/config/config.go MasqueradeIPs) for traffic that must not carry a real address.
// Services use two of them: the source of hairpinned traffic (a pod reaching itself through its Service), and the
// VIP the node switch balances NodePort traffic of externalTrafficPolicy Local to, for the host's own redirects.
/** The masquerade subnets (ovn-kubernetes' v4/v6-masquerade-subnet defaults). */
export const MASQUERADE_SUBNETS = { 4: '169.254.169.0/29', 6: 'fd69::/125' } as const;

/** Source of Service traffic hairpinned back to the pod that sent it (OVNServiceHairpinMasqueradeIP). */
export const SERVICE_HAIRPIN_MASQUERADE_IP = { 4: '169.254.169.5', 6: 'fd69::5' } as const;

/** The switch VIP of NodePorts with externalTrafficPolicy Local (HostETPLocalMasqueradeIP). */
export const HOST_ETP_LOCAL_MASQUERADE_IP = { 4: '169.254.169.3', 6: 'fd69::3' } as const;
