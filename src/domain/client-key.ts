/** Who asks for a place: the client's address, and the id the client gave itself if it sent one. */
export interface ClientKey {
  /** The socket's peer, or the client a trusted proxy names (TRUSTED_PROXIES); an IPv6 client by its /64. */
  readonly address: string;
  /**
   * The client's `Fleet-Client-Id` header. An address alone cannot tell a client asking again from
   * its neighbour behind the same NAT, so only a client that names itself gets its earlier place back.
   */
  readonly id?: string;
}
