//! The WekaCluster domain: templates, dynamic defaults, and the WekaContainers a cluster is made of.
