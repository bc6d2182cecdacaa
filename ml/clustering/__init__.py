"""Load-profile clustering: segment meters by how they consume, not by their contract label.

`profiles` turns a month of interval readings into one normalised daily shape per meter,
`segmentation` clusters the shapes (KMeans, k by silhouette; DBSCAN for meters that fit no
cluster) and `stable_ids` keeps a cluster's id from one month to the next.
"""
