"""Strategy the calendar enforces: the content mix per channel, tracked links (UTM) to the
brand's own domains, and the credit and permission of customer (user-generated) content."""
