# flowgate: Python's ipaddress objects (ip_address / ip_network), parsed by the host.


def _fg_address_init(self, info):
    self._version = info[0]
    self._ip = info[1]
    self.version = info[0]
    self.compressed = info[2]
    self.exploded = info[3]
    self.max_prefixlen = info[4]
    self.is_private = info[5]
    self.is_global = info[6]
    self.is_loopback = info[7]
    self.is_multicast = info[8]
    self.is_link_local = info[9]
    self.is_reserved = info[10]
    self.is_unspecified = info[11]


def _fg_ip_str(self):
    return self.compressed


def _fg_ip_repr(self):
    return type(self).__name__ + "('" + str(self) + "')"


def _fg_ip_eq(self, other):
    return type(other) is type(self) and self._ip == other._ip


def _fg_ip_lt(self, other):
    if type(other) is not type(self):
        raise TypeError("'<' not supported between instances of '" + type(self).__name__ + "' and '" + type(other).__name__ + "'")
    return self._ip < other._ip


def _fg_ip_hash(self):
    return hash((self._version, self._ip))


def _fg_ip_int(self):
    return self._ip


class IPv4Address:
    __init__ = _fg_address_init
    __str__ = _fg_ip_str
    __repr__ = _fg_ip_repr
    __eq__ = _fg_ip_eq
    __lt__ = _fg_ip_lt
    __hash__ = _fg_ip_hash
    __int__ = _fg_ip_int


class IPv6Address:
    __init__ = _fg_address_init
    __str__ = _fg_ip_str
    __repr__ = _fg_ip_repr
    __eq__ = _fg_ip_eq
    __lt__ = _fg_ip_lt
    __hash__ = _fg_ip_hash
    __int__ = _fg_ip_int


def _fg_address(info):
    if info[0] == 4:
        return IPv4Address(info)
    return IPv6Address(info)


def _fg_network_init(self, info):
    self._version = info[0]
    self._ip = info[1]
    self._mask = info[2]
    self.version = info[0]
    self.prefixlen = info[3]
    self.with_prefixlen = info[4]
    self.compressed = info[4]
    self.with_netmask = info[5]
    self.with_hostmask = info[6]
    self.num_addresses = info[7]
    self.max_prefixlen = info[8]
    self.is_private = info[9]
    self.is_global = info[10]
    self.network_address = _fg_address(info[11])
    self.broadcast_address = _fg_address(info[12])
    self.netmask = _fg_address(info[13])
    self.hostmask = _fg_address(info[14])


def _fg_network_str(self):
    return self.with_prefixlen


def _fg_network_contains(self, other):
    if self._version != other._version:
        return False
    if type(other) is IPv4Network or type(other) is IPv6Network:
        return False
    return other._ip & self._mask == self._ip


def _fg_network_eq(self, other):
    return type(other) is type(self) and self._ip == other._ip and self._mask == other._mask


def _fg_network_hash(self):
    return hash((self._version, self._ip, self._mask))


class IPv4Network:
    __init__ = _fg_network_init
    __str__ = _fg_network_str
    __repr__ = _fg_ip_repr
    __contains__ = _fg_network_contains
    __eq__ = _fg_network_eq
    __hash__ = _fg_network_hash


class IPv6Network:
    __init__ = _fg_network_init
    __str__ = _fg_network_str
    __repr__ = _fg_ip_repr
    __contains__ = _fg_network_contains
    __eq__ = _fg_network_eq
    __hash__ = _fg_network_hash


def ip_address(address):
    return _fg_address(_fg_ip("address", address, True))


def ip_network(address, strict=True):
    info = _fg_ip("network", address, strict)
    if info[0] == 4:
        return IPv4Network(info)
    return IPv6Network(info)


if _fg_client_ip is not None:
    ak_client_ip = ip_address(_fg_client_ip)
