"""One loader per dataset, one interface."""
